package newsroom_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/newsroom"
	"github.com/communique/communique/releases"
)

func TestEmbargoedReleaseIsPublicAtTheLiftNotBefore(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "under-embargo", until: &until})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}

	b.clk.set(until.Add(-time.Millisecond))
	if n, err := b.lc.LiftDue(ctx); err != nil || n != 0 {
		t.Fatalf("LiftDue a millisecond early = %d, %v", n, err)
	}
	res, body := b.get(t, "/releases/under-embargo")
	wantStatus(t, res, body, 404)
	if strings.Contains(body, "Title of under-embargo") {
		t.Fatal("the 404 shows the embargoed title")
	}
	_, home := b.get(t, "/")
	if strings.Contains(home, "under-embargo") {
		t.Fatal("the home page lists a release under embargo")
	}

	b.clk.set(until)
	if n, err := b.lc.LiftDue(ctx); err != nil || n != 1 {
		t.Fatalf("LiftDue at the lift = %d, %v", n, err)
	}
	res, body = b.get(t, "/releases/under-embargo")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"Title of under-embargo", "<strong>under-embargo</strong>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	_, home = b.get(t, "/")
	if !strings.Contains(home, `href="/releases/under-embargo?lang=en"`) {
		t.Fatalf("the home page does not list the lifted release:\n%s", home)
	}

	// A restarted service reads the same from the database.
	b.h = newsroom.New(newsroom.Config{DB: b.db, BaseURL: base})
	res, body = b.get(t, "/releases/under-embargo")
	wantStatus(t, res, body, 200)
}

func TestDraftsAndUnknownSlugsAreNotFound(t *testing.T) {
	b := setup(t)
	b.create(t, spec{slug: "a-draft"})
	for _, path := range []string{"/releases/a-draft", "/releases/no-such-release", "/releases/a-draft?lang=fr"} {
		res, body := b.get(t, path)
		wantStatus(t, res, body, 404)
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: a 404 is cached (%q), yet the address becomes a page at the lift", path, res.Header.Get("Cache-Control"))
		}
	}
}

func TestRecalledReleaseShowsAWithdrawalNotice(t *testing.T) {
	b := setup(t)
	id := b.publish(t, spec{slug: "recalled"})
	b.clk.set(t0.Add(2 * time.Hour))
	if err := b.lc.Recall(context.Background(), id, "Figures were wrong", "test"); err != nil {
		t.Fatal(err)
	}
	res, body := b.get(t, "/releases/recalled")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"This release was withdrawn on 1 December 2026, 10:00 UTC", "Figures were wrong", "Title of recalled"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, gone := range []string{"Body of", "Summary of"} {
		if strings.Contains(body, gone) {
			t.Errorf("a withdrawn release still shows its text (%q)", gone)
		}
	}
}

func TestRecalledUnderEmbargoIsNeverPublic(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "never-out", until: &until})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.lc.Recall(ctx, id, "", "test"); err != nil {
		t.Fatal(err)
	}
	b.clk.set(until.Add(time.Hour))
	res, body := b.get(t, "/releases/never-out")
	wantStatus(t, res, body, 404)
}

func TestCorrectedReleaseShowsTheNewTextAndADatedNote(t *testing.T) {
	b := setup(t)
	id := b.publish(t, spec{slug: "corrected", langs: map[string]releases.Translation{
		"en": {Title: "Office opens", Body: "It opens in 2026."},
		"fr": {Title: "Le bureau ouvre", Body: "Il ouvre en 2026."},
	}})
	b.clk.set(time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC))
	body2027, body2027fr := "It opens in 2027.", "Il ouvre en 2027."
	err := b.lc.Correct(context.Background(), id, releases.Correction{Translations: map[string]releases.TranslationPatch{
		"en": {Body: &body2027, Note: "The year was wrong."},
		"fr": {Body: &body2027fr, Note: "L'année était fausse."},
	}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	res, body := b.get(t, "/releases/corrected?lang=en")
	wantStatus(t, res, body, 200)
	for _, want := range []string{"It opens in 2027.", "Correction of 3 December 2026, 09:30 UTC", "The year was wrong."} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "2026.") {
		t.Error("the page still shows the text before the correction")
	}
	_, fr := b.get(t, "/releases/corrected?lang=fr")
	for _, want := range []string{"Il ouvre en 2027.", "Correction du 3 décembre 2026, 09:30 UTC", "L&#39;année était fausse."} {
		if !strings.Contains(fr, want) {
			t.Errorf("French page lacks %q", want)
		}
	}
}

func TestReleasePageLanguagesAndAlternates(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "three-languages", langs: map[string]releases.Translation{
		"en": {Title: "Office opens"}, "fr": {Title: "Le bureau ouvre"}, "ar": {Title: "افتتاح المكتب", Body: "اتصلوا بالرقم +222 45 25 00 00"},
	}})
	_, ar := b.get(t, "/releases/three-languages?lang=ar")
	for _, want := range []string{
		`<html lang="ar" dir="rtl">`, `<article lang="ar" dir="rtl">`, "افتتاح المكتب",
		`<link rel="alternate" hreflang="en" href="` + base + `/releases/three-languages?lang=en">`,
		`<link rel="alternate" hreflang="fr" href="` + base + `/releases/three-languages?lang=fr">`,
		`<link rel="alternate" hreflang="x-default" href="` + base + `/releases/three-languages">`,
		`<link rel="canonical" href="` + base + `/releases/three-languages?lang=ar">`,
		`aria-current="page">العربية</a>`, `<bdi dir="ltr">+222 45 25 00 00</bdi>`,
	} {
		if !strings.Contains(ar, want) {
			t.Errorf("Arabic page lacks %s", want)
		}
	}
	// Without ?lang=, the browser's language among the release's, else
	// the original.
	_, fr := b.get(t, "/releases/three-languages", "Accept-Language: fr-CH, en;q=0.5")
	if !strings.Contains(fr, "Le bureau ouvre") || !strings.Contains(fr, `<html lang="fr" dir="ltr">`) {
		t.Error("Accept-Language fr did not pick the French text")
	}
	_, en := b.get(t, "/releases/three-languages", "Accept-Language: de")
	if !strings.Contains(en, "Office opens") {
		t.Error("a language the release lacks did not fall back to the original")
	}
	res, body := b.get(t, "/releases/three-languages?lang=no_such!tag")
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "lang: ") {
		t.Errorf("the error does not name the field:\n%s", body)
	}
}

// What a reader types comes back escaped, never as markup.
func TestSearchIsEscaped(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "plain"})
	res, body := b.get(t, `/?q=%3Cscript%3Ealert(1)%3C/script%3E`)
	wantStatus(t, res, body, 200)
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Errorf("the search is not escaped:\n%s", body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}
