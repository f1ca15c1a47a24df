package templates

import (
	"errors"
	stdhtml "html"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/communique/communique"
)

func prepareVariant(t *testing.T, variant string, r Release) *Prepared {
	t.Helper()
	p, err := Prepare(variant, r)
	if err != nil {
		t.Fatalf("Prepare(%s): %v", variant, err)
	}
	return p
}

func TestEmbargoMarkers(t *testing.T) {
	for lang, want := range map[string]string{
		"en": "EMBARGOED UNTIL 1 December 2026 at 09:00 UTC: ",
		"fr": "SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC\u00a0: ",
		"es": "BAJO EMBARGO HASTA EL 1 de diciembre de 2026, 9:00 UTC: ",
		"ar": "محظور النشر حتى 1 ديسمبر 2026 في 9:00 ص UTC: ",
	} {
		p := prepareVariant(t, VariantEmbargoed, sampleRelease(lang, VariantEmbargoed))
		if !strings.HasPrefix(p.Subject(), want) {
			t.Errorf("%s subject %q, want it to start with %q", lang, p.Subject(), want)
		}
	}
}

// The banner shows the lift time where the recipient is and in UTC; the
// local line is left out for readers in UTC and unknown zones.
func TestEmbargoBannerTimeZones(t *testing.T) {
	p := prepareVariant(t, VariantEmbargoed, sampleRelease("en", VariantEmbargoed))
	for tz, want := range map[string]string{
		"America/New_York": "In your time zone: 1 December 2026 at 04:00 (America/New York)",
		"Asia/Tokyo":       "In your time zone: 1 December 2026 at 18:00 (Asia/Tokyo)",
		"Pacific/Honolulu": "In your time zone: 30 November 2026 at 23:00 (Pacific/Honolulu)",
		"Europe/London":    "In your time zone: 1 December 2026 at 09:00 (Europe/London)",
		"":                 "",
		"UTC":              "",
		"Etc/UTC":          "",
		"Not/AZone":        "",
		"Local":            "",
		"../../etc/passwd": "",
	} {
		text, html := p.Personalize(Recipient{Name: "Ana", TimeZone: tz})
		for part, s := range map[string]string{"text": text, "html": stdhtml.UnescapeString(html)} {
			mustContain(t, part+" "+tz, s, "EMBARGOED UNTIL 1 December 2026 at 09:00 UTC", "Not for publication, broadcast or posting online before this time.")
			if want == "" {
				mustNotContain(t, part+" "+tz, s, "In your time zone")
			} else if !strings.Contains(stripTags(s), want) {
				t.Errorf("%s %s: lacks %q", part, tz, want)
			}
		}
	}
}

// flat undoes word wrapping (and no-break spaces, which Fields splits at).
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestZonesComputedOncePerZone(t *testing.T) {
	p := prepareVariant(t, VariantEmbargoed, sampleRelease("fr", VariantEmbargoed))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				tz := []string{"Europe/Paris", "Africa/Nouakchott", "Asia/Riyadh", "bogus"}[(i+j)%4]
				if text, _ := p.Personalize(Recipient{TimeZone: tz}); !strings.Contains(text, "SOUS EMBARGO") {
					t.Error("no banner")
					return
				}
			}
		})
	}
	wg.Wait()
	if n := p.zoneCount.Load(); n != 4 {
		t.Errorf("%d zones cached, want 4", n)
	}
	// Personalize allocates only its two results, whatever the zone.
	if n := testing.AllocsPerRun(100, func() { p.Personalize(Recipient{Name: "Ana", TimeZone: "Asia/Riyadh"}) }); n > 2 {
		t.Errorf("Personalize allocates %v times", n)
	}
}

func TestEmbargoNeedsLiftTime(t *testing.T) {
	for _, v := range []string{VariantEmbargoed, VariantEmbargoChanged} {
		r := sampleRelease("en", v)
		r.EmbargoUntil = time.Time{}
		_, err := Prepare(v, r)
		var e *communique.Error
		if !errors.As(err, &e) || e.Code != communique.EINVALID || !strings.Contains(e.Message, "lift time") {
			t.Errorf("%s without a lift time: %v", v, err)
		}
	}
}

// A correction sent during the embargo stays marked as embargoed; the
// public message never is, whatever the caller passes.
func TestCorrectionUnderEmbargo(t *testing.T) {
	r := sampleRelease("es", VariantCorrection)
	r.EmbargoUntil = sampleEmbargo // after PublishedAt: still under embargo
	p := prepareVariant(t, VariantCorrection, r)
	if want := "CORRECCIÓN — BAJO EMBARGO HASTA EL 1 de diciembre de 2026, 9:00 UTC: "; !strings.HasPrefix(p.Subject(), want) {
		t.Errorf("subject %q", p.Subject())
	}
	text, _ := p.Personalize(Recipient{TimeZone: "America/Mexico_City"})
	mustContain(t, "text", flat(text), "En su zona horaria: 1 de diciembre de 2026, 3:00 (America/Mexico City)",
		"Esta versión corregida sustituye al comunicado enviado el 27 de noviembre de 2026.",
		"Cambios: Se ha corregido el nombre de la directora general.")

	// A correction after the lift is not marked, nor ever the public message.
	r = sampleRelease("es", VariantCorrection)
	r.EmbargoUntil = samplePublished.Add(-time.Hour)
	p = prepareVariant(t, VariantCorrection, r)
	text, html := p.Personalize(Recipient{TimeZone: "America/Mexico_City"})
	for _, s := range []string{p.Subject(), text, html} {
		mustNotContain(t, "late correction", s, "EMBARGO")
	}
	r = sampleRelease("es", VariantPublic)
	r.EmbargoUntil = sampleEmbargo
	p = prepareVariant(t, VariantPublic, r)
	text, html = p.Personalize(Recipient{TimeZone: "America/Mexico_City"})
	for _, s := range []string{p.Subject(), text, html} {
		mustNotContain(t, "public", s, "EMBARGO")
	}
}

// A recall does not repeat the release it withdraws.
func TestRecallHasNoBody(t *testing.T) {
	for _, lang := range Languages() {
		r := sampleRelease(lang, VariantRecall)
		p := prepareVariant(t, VariantRecall, r)
		text, html := p.Personalize(ana)
		firstLine := strings.SplitN(strings.TrimSpace(sampleTexts[lang].body), "\n", 2)[0]
		mustNotContain(t, "text "+lang, text, firstLine, " —")
		mustNotContain(t, "html "+lang, stdhtml.UnescapeString(html), firstLine, sampleTexts[lang].summary, " —")
		mustContain(t, "text "+lang, flat(text), labelSets[lang].Recalled, flat(r.Title), flat(labelSets[lang].Apology), flat(r.RecallNote))
	}
}

func TestEmbargoChangedShowsBothTimes(t *testing.T) {
	p := prepareVariant(t, VariantEmbargoChanged, sampleRelease("fr", VariantEmbargoChanged))
	if want := "EMBARGO MODIFIÉ — SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC\u00a0: "; !strings.HasPrefix(p.Subject(), want) {
		t.Errorf("subject %q", p.Subject())
	}
	text, html := p.Personalize(Recipient{TimeZone: "Europe/Paris"})
	mustContain(t, "text", text,
		"Dans votre fuseau horaire\u00a0: 1 décembre 2026 à 10:00 (Europe/Paris)",
		"Auparavant\u00a0: 30 novembre 2026 à 09:00 UTC",
		"Dans votre fuseau horaire\u00a0: 30 novembre 2026 à 10:00 (Europe/Paris)")
	mustContain(t, "html", html, "<s>30 novembre 2026 à 10:00 (<bdi dir=\"ltr\">Europe/Paris</bdi>)</s>")
	text, _ = p.Personalize(Recipient{})
	mustNotContain(t, "text", text, "fuseau horaire")
}

// Arabic: right to left everywhere, with Latin-script runs isolated.
func TestArabicIsRightToLeft(t *testing.T) {
	for _, v := range variantNames {
		p := prepareVariant(t, v, greeting(sampleRelease("ar", v)))
		text, html := p.Personalize(sampleRecipient("ar"))
		mustContain(t, "html "+v, html, `<html lang="ar" dir="rtl">`, "direction:rtl;text-align:right;",
			`<bdi dir="ltr">&#43;222 45 00 00 00</bdi>`, `<bdi dir="ltr">ana.silva@example.com</bdi>`, "<bdi>Ana Silva</bdi>")
		mustNotContain(t, "html "+v, html, "direction:ltr", "text-align:left")
		// The plain text's equivalent of <bdi dir="ltr">.
		mustContain(t, "text "+v, text, "\u2066+222 45 00 00 00\u2069", "\u2066ana.silva@example.com\u2069",
			"\u2066<https://news.example.org/unsubscribe/tok123?list=press&lang=ar>\u2069")
	}
	c, err := Confirmation("ar", "Ana", "https://news.example.org/confirm/t")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "confirmation", c.HTML, `<html lang="ar" dir="rtl">`, "direction:rtl;text-align:right;")
}

func TestConfirmationLanguages(t *testing.T) {
	for lang, want := range map[string]struct{ lang, subject string }{
		"fr":    {"fr", "Veuillez confirmer votre abonnement à nos communiqués de presse"},
		"es-MX": {"es-MX", "Confirme su suscripción a nuestros comunicados de prensa"},
		"ar":    {"ar", "يرجى تأكيد اشتراككم في بياناتنا الصحفية"},
		"de":    {"en", "Please confirm your subscription to our press releases"},
		"":      {"en", "Please confirm your subscription to our press releases"},
		"x!":    {"en", "Please confirm your subscription to our press releases"},
	} {
		c, err := Confirmation(lang, "", "https://news.example.org/confirm/tok?lang=fr&x=1")
		if err != nil {
			t.Fatal(err)
		}
		if c.Language != want.lang || c.Subject != want.subject {
			t.Errorf("%q: %s %q", lang, c.Language, c.Subject)
		}
		mustContain(t, "text", c.Text, "https://news.example.org/confirm/tok?lang=fr&x=1")
		mustContain(t, "html", c.HTML, `href="https://news.example.org/confirm/tok?lang=fr&amp;x=1"`, `<html lang="`+want.lang+`"`)
	}
	c, _ := Confirmation("en", "<script>x</script>\r\nBcc: v", "javascript:alert(1)")
	mustNotContain(t, "html", c.HTML, "<script>", `href="javascript:`)
	// The requester's name is theirs to type: the built-in message never shows it.
	mustNotContain(t, "text", c.Text, "<script>", "Bcc")
	mustContain(t, "text", c.Text, "Dear Sir or Madam,\n")
	if _, err := Confirmation("en", "", " "); err == nil {
		t.Error("an empty link was accepted")
	}
}
