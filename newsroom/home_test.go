package newsroom_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
)

var listed = regexp.MustCompile(`<h2><a href="/releases/([a-z0-9-]+)\?lang=`)

// slugs lists the releases a home page shows, in order.
func slugs(body string) []string {
	var out []string
	for _, m := range listed.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestHomeListsNewestFirstAndFilters(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "mauritania", countries: []string{"MR"}, tops: []string{"health"}})
	b.clk.set(t0.Add(time.Hour))
	b.publish(t, spec{slug: "peru", countries: []string{"PE"}, tops: []string{"trade"}})
	b.clk.set(t0.Add(2 * time.Hour))
	b.publish(t, spec{slug: "asia-wide", regions: []string{"asia"}})
	b.clk.set(t0.Add(3 * time.Hour))
	b.publish(t, spec{slug: "en-francais", langs: map[string]releases.Translation{"fr": {Title: "Un communiqué", Summary: "Cinquante_pour%cent"}}, countries: []string{"SN"}})

	for _, c := range []struct {
		query string
		want  string
	}{
		{"", "en-francais asia-wide peru mauritania"},
		{"?country=mr", "mauritania"},
		{"?topic=trade", "peru"},
		{"?region=africa", "en-francais mauritania"}, // by the countries the region holds
		{"?region=asia", "asia-wide"},
		{"?language=fr", "en-francais"},
		{"?q=OF+PERU", "peru"},
		{"?q=_pour%25", "en-francais"}, // LIKE's wildcards are searched as written
		{"?q=a_b", ""},
		{"?country=MR&topic=trade", ""},
	} {
		res, body := b.get(t, "/"+c.query)
		wantStatus(t, res, body, 200)
		if got := strings.Join(slugs(body), " "); got != c.want {
			t.Errorf("%q lists %q, want %q", c.query, got, c.want)
		}
	}
}

func TestHomeRefusesBadFiltersNamingThem(t *testing.T) {
	b := setup(t)
	res, body := b.get(t, "/?region=atlantis&country=XX&topic=nope&page=0&language=!!")
	wantStatus(t, res, body, 422)
	for _, want := range []string{`region: &#34;atlantis&#34;`, `country: &#34;XX&#34;`, `topic: &#34;nope&#34;`, `page: &#34;0&#34;`, `language: &#34;!!&#34;`} {
		if !strings.Contains(body, want) {
			t.Errorf("the error page lacks %s:\n%s", want, body)
		}
	}
}

func TestHomePages(t *testing.T) {
	b := setup(t)
	for i := range 45 {
		b.clk.set(t0.Add(time.Duration(i) * time.Minute))
		b.publish(t, spec{slug: fmt.Sprintf("release-%02d", i)})
	}
	_, first := b.get(t, "/")
	got := slugs(first)
	if len(got) != 20 || got[0] != "release-44" || got[19] != "release-25" {
		t.Fatalf("first page: %v", got)
	}
	if !strings.Contains(first, `href="/?lang=en&amp;page=2" rel="next"`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("first page's links are wrong")
	}
	_, third := b.get(t, "/?page=3")
	if got := slugs(third); len(got) != 5 || got[4] != "release-00" {
		t.Fatalf("third page: %v", got)
	}
	if strings.Contains(third, `rel="next"`) || !strings.Contains(third, `href="/?lang=en&amp;page=2" rel="prev"`) {
		t.Errorf("last page's links are wrong")
	}
}

func TestHomeInArabicIsRightToLeft(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "health", tops: []string{"health"}})
	_, body := b.get(t, "/?lang=ar")
	for _, want := range []string{`<html lang="ar" dir="rtl">`, "أحدث البيانات الصحفية", `<option value="health">الصحة</option>`,
		`<li class="release" lang="en" dir="ltr">`} {
		if !strings.Contains(body, want) {
			t.Errorf("Arabic home lacks %s", want)
		}
	}
	_, fr := b.get(t, "/", "Accept-Language: fr")
	if !strings.Contains(fr, `<html lang="fr" dir="ltr">`) || !strings.Contains(fr, "Derniers communiqués") {
		t.Error("Accept-Language fr did not give the French newsroom")
	}
	// Each of the newsroom's languages, asked for by a regional tag
	// behind one it does not speak.
	for _, c := range []struct{ accept, want string }{
		{"de, en-GB;q=0.8", `<html lang="en" dir="ltr">`},
		{"de, fr-CA;q=0.8", `<html lang="fr" dir="ltr">`},
		{"de, es-MX;q=0.8", `<html lang="es" dir="ltr">`},
		{"de, ar-EG;q=0.8", `<html lang="ar" dir="rtl">`},
	} {
		if _, body := b.get(t, "/", "Accept-Language: "+c.accept); !strings.Contains(body, c.want) {
			t.Errorf("Accept-Language %s: no %s", c.accept, c.want)
		}
	}
}

func TestHomeAlternatesAreAbsolute(t *testing.T) {
	b := setup(t)
	_, body := b.get(t, "/?lang=fr&topic=health")
	for _, want := range []string{
		`<link rel="alternate" hreflang="ar" href="` + base + `/?lang=ar&amp;topic=health">`,
		`<link rel="canonical" href="` + base + `/?lang=fr&amp;topic=health">`,
		`<a href="/?lang=es&amp;topic=health" lang="es" hreflang="es">Español</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %s", want)
		}
	}
}
