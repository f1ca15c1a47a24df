package templates

import "testing"

func TestMatchLanguage(t *testing.T) {
	avail := []string{"fr", "en", "es"}
	for _, c := range []struct {
		prefs []string
		want  string
	}{
		{nil, "fr"},
		{[]string{"en"}, "en"},
		{[]string{"ar"}, "fr"},
		{[]string{"ar", "es"}, "es"},
		{[]string{"fr-CH"}, "fr"},
		{[]string{"en-GB", "fr"}, "en"},
		{[]string{"es-419"}, "es"},
		{[]string{"pt"}, "fr"},
		{[]string{"not a tag", "en"}, "en"},
		{[]string{"de", "ar"}, "fr"},
	} {
		if got := MatchLanguage(c.prefs, avail, "fr"); got != c.want {
			t.Errorf("MatchLanguage(%v) = %q, want %q", c.prefs, got, c.want)
		}
	}
}
