package templates

import (
	"errors"
	"flag"
	stdhtml "html"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/communique/communique"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// release is the sample release (see sample.go) as the public receives it,
// without a greeting, as by default.
func release(lang string) Release {
	r := sampleRelease(lang, VariantPublic)
	r.Greeting = false
	return r
}

var ana = Recipient{Name: "Ana Silva", Email: "ana.silva@example.com", UnsubscribeURL: "https://news.example.org/unsubscribe/tok123?list=press&lang=fr"}

func prepare(t testing.TB, r Release) *Prepared {
	t.Helper()
	p, err := Prepare(VariantPublic, r)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return p
}

func mustContain(t *testing.T, part, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s part lacks %q", part, w)
		}
	}
}

func mustNotContain(t *testing.T, part, s string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(s, w) {
			t.Errorf("%s part contains %q", part, w)
		}
	}
}

// greeting returns r opening with a greeting.
func greeting(r Release) Release {
	r.Greeting = true
	return r
}

func TestFrench(t *testing.T) {
	p := prepare(t, greeting(release("fr")))
	if p.Language() != "fr" {
		t.Errorf("Language() = %q", p.Language())
	}
	if want := "Mauritanie : l'AIM ouvrira un bureau à Nouakchott"; p.Subject() != want {
		t.Errorf("Subject() = %q, want %q", p.Subject(), want)
	}
	text, html := p.Personalize(ana)
	// Labels and contacts are checked as a reader sees them: html/template
	// writes "'" and "+" as character references.
	for part, s := range map[string]string{"text": text, "html": stdhtml.UnescapeString(html)} {
		mustContain(t, part, s,
			"GENÈVE, 27 novembre 2026 —",
			"Pour plus d'informations, veuillez contacter\u00a0:",
			"Awa Exemple", "Chargée de communication", "AIM Nouakchott",
			"Jean Modèle", "Porte-parole", "AIM Genève",
			"+222 45 00 00 00", "awa.exemple@example.org", "presse@example.org",
			"Se désabonner",
		)
	}
	mustContain(t, "text", text, "Bonjour Ana Silva,\n")
	mustContain(t, "html", html,
		"Bonjour <bdi>Ana Silva</bdi>,",
		`<html lang="fr" dir="ltr">`,
		`<meta charset="utf-8">`,
		`<bdi dir="ltr">&#43;222 45 00 00 00</bdi>`,
		`<a href="mailto:presse@example.org"`,
		`href="https://news.example.org/unsubscribe/tok123?list=press&amp;lang=fr"`,
		`<a href="https://www.example.org/fr/accord-mauritanie"`,
		`<strong>Nouakchott</strong>`,
	)
	mustContain(t, "text", text,
		"Tél.\u00a0: +222 45 00 00 00",
		"Courriel\u00a0: presse@example.org",
		"Domaines de coopération\n-----------------------",
		"- la formation des agents aux frontières",
		"Se désabonner <https://news.example.org/unsubscribe/tok123?list=press&lang=fr>",
	)
	// Wrapping may break a link's line between its text and its URL.
	mustContain(t, "text", strings.Join(strings.Fields(text), " "), "le site de l'AIM <https://www.example.org/fr/accord-mauritanie>")
	// The dateline comes after the title and summary, right before the body.
	for part, s := range map[string]string{"text": text, "html": stdhtml.UnescapeString(html)} {
		title, dl, body, contact := strings.Index(s, "Nouakchott</h1>"), strings.Index(s, "GENÈVE"), strings.Index(s, "L'Agence"), strings.Index(s, "Pour plus")
		if part == "text" {
			title = strings.Index(s, "Mauritanie : l'AIM")
			body = strings.Index(s, "L'Agence internationale")
		}
		if !(title < dl && dl < body && body < contact) {
			t.Errorf("%s part: title@%d dateline@%d body@%d contacts@%d out of order", part, title, dl, body, contact)
		}
	}
}

func TestDateline(t *testing.T) {
	for _, tc := range []struct {
		lang, place string
		at          time.Time
		want        string
	}{
		{"en", "Geneva", time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), "GENEVA, 27 November 2026 —"},
		{"fr", "Genève", time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), "GENÈVE, 27 novembre 2026 —"},
		{"fr", "Nouakchott", time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC), "NOUAKCHOTT, 1 février 2027 —"},
		{"fr-CA", "Montréal", time.Date(2027, 8, 3, 9, 0, 0, 0, time.UTC), "MONTRÉAL, 3 août 2027 —"},
		{"en", "", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), "5 January 2026 —"},
		// The date is the one at the place, not in UTC.
		{"en", "Auckland", time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC).In(time.FixedZone("NZDT", 13*3600)), "AUCKLAND, 28 November 2026 —"},
	} {
		r := release("en")
		r.Language, r.Dateline, r.PublishedAt = tc.lang, tc.place, tc.at
		text, html := prepare(t, r).Personalize(Recipient{})
		mustContain(t, "text "+tc.lang, text, tc.want)
		mustContain(t, "html "+tc.lang, html, tc.want)
	}
}

func TestUnknownLanguageFallsBackToEnglish(t *testing.T) {
	r := greeting(release("en"))
	r.Language = "pt-BR"
	p := prepare(t, r)
	if p.Language() != "pt-BR" {
		t.Errorf("Language() = %q, want pt-BR", p.Language())
	}
	text, html := p.Personalize(ana)
	mustContain(t, "html", html, `<html lang="pt-BR"`, "For more information, please contact:", "Dear <bdi>Ana Silva</bdi>,", "GENEVA, 27 November 2026 —")
	mustContain(t, "text", text, "For more information, please contact:", "Unsubscribe <https://")
}

func TestNeutralGreetingAndNoFooter(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		text, html := prepare(t, greeting(release(lang))).Personalize(Recipient{Email: "desk@example.net"})
		neutral := labelSets[lang].GreetingNeutral
		mustContain(t, "text", text, neutral+"\n", "desk@example.net")
		mustContain(t, "html", html, "<p style=\"margin:0 0 24px 0;\">"+neutral+"</p>", `<bdi dir="ltr">desk@example.net</bdi>`)
		unsub := labelSets[lang].Unsubscribe
		mustNotContain(t, "text", text, unsub, markerPrefix)
		mustNotContain(t, "html", html, unsub, markerPrefix)
	}
	// No personal field at all: no footer either.
	text, html := prepare(t, release("en")).Personalize(Recipient{})
	mustNotContain(t, "text", text, "\n-- \n", "This message was sent")
	mustNotContain(t, "html", html, "This message was sent", "color:#777777")
}

func TestPersonalFieldsAreEscaped(t *testing.T) {
	p := prepare(t, greeting(release("fr")))
	rc := Recipient{
		Name:           `<script>alert(1)</script> "a&b"`,
		Email:          `x"><img src=x onerror=alert(1)>@example.com`,
		UnsubscribeURL: `https://example.org/u?a=1&b="2"><script>`,
	}
	text, html := p.Personalize(rc)
	mustNotContain(t, "html", html, "<script", `"a&b"`, "<img src=x", `"2">`)
	mustContain(t, "html", html,
		"Bonjour <bdi>&lt;script&gt;alert(1)&lt;/script&gt; &#34;a&amp;b&#34;</bdi>,",
		`href="https://example.org/u?a=1&amp;b=&#34;2&#34;&gt;&lt;script&gt;"`,
	)
	// Plain text is not HTML: the name appears as typed.
	mustContain(t, "text", text, `Bonjour <script>alert(1)</script> "a&b",`)

	_, html = p.Personalize(Recipient{Name: "x", UnsubscribeURL: "javascript:alert(1)"})
	mustNotContain(t, "html", html, "javascript:")
	mustContain(t, "html", html, `href="#ZgotmplZ"`)
}

func TestPersonalFieldsStayOnOneLine(t *testing.T) {
	text, _ := prepare(t, greeting(release("en"))).Personalize(Recipient{Name: "Ana\r\nBcc: x@y  Silva"})
	mustContain(t, "text", text, "Dear Ana Bcc: x@y Silva,\n")
}

func TestRawHTMLInMarkdownIsRemoved(t *testing.T) {
	r := release("en")
	r.Body = "Intro <b onclick=\"steal()\">bold</b> text.\n\n" +
		"<script>alert('block')</script>\n\n" +
		"<div style=\"position:fixed\">\n<iframe src=\"https://evil.example.com\"></iframe>\n</div>\n\n" +
		"[click](javascript:alert(1)) and ![img](https://example.org/a.png \"t\")\n\n" +
		"Inline <script>alert('inline')</script> end.\n"
	text, html := prepare(t, r).Personalize(ana)
	for part, s := range map[string]string{"text": text, "html": html} {
		mustNotContain(t, part, s, "<script", "alert('block')", "onclick", "<iframe", "position:fixed", "steal()", "raw HTML omitted")
	}
	mustNotContain(t, "html", html, `href="javascript:`)
	mustContain(t, "html", html, "Intro bold text.", `src="https://example.org/a.png"`)
	// Text between inline tags stays, as text: harmless, and visible to the
	// press officer in the preview.
	mustContain(t, "text", text, "Intro bold text.", "Inline alert('inline') end.")
}

func TestSubjectHasNoLineBreaks(t *testing.T) {
	for _, title := range []string{
		"Agreement signed\r\nBcc: x@y",
		"Agreement signed\nBcc: x@y",
		"Agreement signed\rBcc: x@y",
		"Agreement\tsigned\u2028Bcc:\x00 x@y\x7f",
	} {
		r := release("en")
		r.Title = title
		p := prepare(t, r)
		s := p.Subject()
		if strings.ContainsAny(s, "\r\n\t\x00\x7f\u2028") {
			t.Errorf("subject %q from title %q has a control character", s, title)
		}
		if s != "Agreement signed Bcc: x@y" {
			t.Errorf("subject = %q, want %q", s, "Agreement signed Bcc: x@y")
		}
	}
}

func TestLinksSurviveInText(t *testing.T) {
	r := release("en")
	r.Body = "See [the agreement](https://www.example.org/a?b=1&c=2), " +
		"<https://www.example.org/auto>, www.example.org/bare and " +
		"[https://www.example.org/same](https://www.example.org/same).\n\n" +
		"Write to <press@example.org> or [us](mailto:press@example.org).\n"
	text, _ := prepare(t, r).Personalize(ana)
	mustContain(t, "text", text,
		"the agreement <https://www.example.org/a?b=1&c=2>",
		"https://www.example.org/auto",
		"www.example.org/bare",
		"<https://www.example.org/same>",
		"press@example.org or us <mailto:press@example.org>",
	)
	mustNotContain(t, "text", text, "https://www.example.org/same <https")
}

func TestBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		variant string
		edit    func(*Release)
	}{
		"unknown variant": {"embargoed-draft", func(*Release) {}},
		"empty language":  {VariantPublic, func(r *Release) { r.Language = "" }},
		"bad language":    {VariantPublic, func(r *Release) { r.Language = "fr_FR<" }},
		"empty title":     {VariantPublic, func(r *Release) { r.Title = " \r\n" }},
		"no date":         {VariantPublic, func(r *Release) { r.PublishedAt = time.Time{} }},
	} {
		r := release("en")
		tc.edit(&r)
		_, err := Prepare(tc.variant, r)
		var e *communique.Error
		if !errors.As(err, &e) || e.Code != communique.EINVALID {
			t.Errorf("%s: err = %v, want an EINVALID *communique.Error", name, err)
		}
	}
}

func TestConcurrentPersonalize(t *testing.T) {
	p := prepare(t, release("fr"))
	want, _ := p.Personalize(ana)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got, _ := p.Personalize(ana); got != want {
					t.Error("concurrent Personalize differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestConcurrentPrepare(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			lang := []string{"en", "fr"}[i%2]
			if _, err := Prepare(VariantPublic, release(lang)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkPersonalize(b *testing.B) {
	p := prepare(b, release("fr"))
	rc := Recipient{Name: "Ana Silva", Email: "ana.silva@example.com", UnsubscribeURL: "https://news.example.org/unsubscribe/0123456789abcdef"}
	b.ReportAllocs()
	for b.Loop() {
		text, html := p.Personalize(rc)
		if len(text) == 0 || len(html) == 0 {
			b.Fatal("empty part")
		}
	}
}

func BenchmarkPrepare(b *testing.B) {
	r := release("fr")
	b.ReportAllocs()
	for b.Loop() {
		prepare(b, r)
	}
}

func TestBodyHardening(t *testing.T) {
	r := release("en")
	r.Body = "Go [home](/fr/home) or [there](javascript:alert(1)), see ![logo](logo.png).\x1b[31m red\x00\n\n" +
		"Keep [this](https://www.example.org/x) and [mail](mailto:press@example.org).\n"
	text, html := prepare(t, r).Personalize(ana)
	for part, s := range map[string]string{"text": text, "html": html} {
		mustNotContain(t, part, s, "/fr/home", "javascript:", "logo.png", "\x1b", "\x00")
		mustContain(t, part, stripTags(s), "Go home or there, see")
		mustContain(t, part, s, "https://www.example.org/x", "mailto:press@example.org")
	}
	mustContain(t, "text", text, "[31m red")
}
