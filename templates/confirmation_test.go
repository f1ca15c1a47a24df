package templates

import (
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestPreferencesLink(t *testing.T) {
	const link = "https://news.example.org/preferences/tok?lang=fr&x=1"
	for lang, want := range map[string]struct{ lang, subject, button string }{
		"en":    {"en", "Your link to change what you receive from our press office", "Change my preferences"},
		"fr-CA": {"fr-CA", "Votre lien pour modifier ce que vous recevez de notre service de presse", "Modifier mes préférences"},
		"es":    {"es", "Su enlace para cambiar lo que recibe de nuestra oficina de prensa", "Cambiar mis preferencias"},
		"ar":    {"ar", "رابط تعديل ما تتلقونه من مكتبنا الصحفي", "تعديل تفضيلاتي"},
		"de":    {"en", "Your link to change what you receive from our press office", "Change my preferences"},
	} {
		m, err := PreferencesLink(lang, link)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if m.Language != want.lang || m.Subject != want.subject {
			t.Errorf("%s: %s %q", lang, m.Language, m.Subject)
		}
		mustContain(t, lang+" text", m.Text, link)
		mustContain(t, lang+" html", m.HTML, `href="https://news.example.org/preferences/tok?lang=fr&amp;x=1"`, want.button, `<html lang="`+want.lang+`"`)
		// Nothing of the confirmation's own words, in the mail's language.
		l := labelsFor(language.Make(want.lang))
		if strings.Contains(m.HTML, l.ConfirmButton) || strings.Contains(m.Text, l.ConfirmText) {
			t.Errorf("%s: the confirmation's words in the preferences link", lang)
		}
	}
	if _, err := PreferencesLink("en", " "); err == nil {
		t.Error("an empty link was accepted")
	}
	// The labels of the confirmation are left as they were.
	if c, _ := Confirmation("en", "", link); !strings.Contains(c.HTML, labelSets["en"].ConfirmButton) {
		t.Error("PreferencesLink changed the shared labels")
	}
}
