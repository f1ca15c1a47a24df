package templates

import (
	"strings"
	"testing"

	"github.com/communique/communique"
)

// testBrand has every field, a wide logo and a French footer.
var testBrand = Brand{
	Name:    "Agence internationale <des> mobilités",
	LogoURL: "https://news.example.org/branding/logo?v=abc123", LogoWidth: 960, LogoHeight: 240,
	Address: "17 route des Morillons\nCH-1211 Genève 19",
	Footer:  "You receive this because you subscribed.\nManage your subscription on our site.",
	Footers: map[string]string{"fr": "Vous recevez ce message parce que vous êtes abonné."},
}

// TestBrandInEveryMessage renders every message with a brand and finds
// the name, the footer in the reader's language and the address in both
// parts, and the logo's address in the HTML part only.
func TestBrandInEveryMessage(t *testing.T) {
	ov := Overrides{}.WithBrand(testBrand)
	for _, lang := range Languages() {
		footer := "You receive this because you subscribed."
		if lang == "fr" {
			footer = "Vous recevez ce message parce que vous êtes abonné."
		}
		check := func(what, text, html string) {
			t.Helper()
			for _, want := range []string{"Agence internationale <des> mobilités", footer, "17 route des Morillons", "CH-1211 Genève 19"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s/%s: text part lacks %q:\n%s", what, lang, want, text)
				}
			}
			for _, want := range []string{"Agence internationale &lt;des&gt; mobilités", footer, "<bdi>17 route des Morillons</bdi><br><bdi>CH-1211 Genève 19</bdi>",
				`src="https://news.example.org/branding/logo?v=abc123" width="240" height="60"`} {
				if !strings.Contains(html, want) {
					t.Errorf("%s/%s: HTML part lacks %q", what, lang, want)
				}
			}
			if strings.Contains(text, "branding/logo") {
				t.Errorf("%s/%s: the text part links the logo", what, lang)
			}
		}
		for _, msg := range variantNames {
			p, err := PrepareWith(ov, msg, sampleRelease(lang, msg))
			if err != nil {
				t.Fatalf("%s/%s: %v", msg, lang, err)
			}
			text, html := p.Personalize(sampleRecipient(lang))
			check(msg, text, html)
			if strings.Contains(p.Subject(), "mobilités") {
				t.Errorf("%s/%s: the brand is in the subject %q", msg, lang, p.Subject())
			}
		}
		c, err := ConfirmationWith(ov, lang, "", "https://news.example.org/confirm/tok")
		if err != nil {
			t.Fatal(err)
		}
		check("confirmation", c.Text, c.HTML)
		pl, err := PreferencesLinkWith(ov, lang, "https://news.example.org/preferences/tok")
		if err != nil {
			t.Fatal(err)
		}
		check("preferences link", pl.Text, pl.HTML)
	}
}

// TestBrandGolden keeps a branded message of each direction for review
// (go test ./templates/ -run BrandGolden -update).
func TestBrandGolden(t *testing.T) {
	ov := Overrides{}.WithBrand(testBrand)
	for _, lang := range []string{"en", "ar"} {
		p, err := PrepareWith(ov, VariantPublic, sampleRelease(lang, VariantPublic))
		if err != nil {
			t.Fatal(err)
		}
		text, html := p.Personalize(sampleRecipient(lang))
		golden(t, "brand_public_"+lang+".txt.golden", text)
		golden(t, "brand_public_"+lang+".html.golden", html)
		c, err := ConfirmationWith(ov, lang, "", "https://news.example.org/confirm/tok123")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "brand_confirmation_"+lang+".txt.golden", c.Text)
		golden(t, "brand_confirmation_"+lang+".html.golden", c.HTML)
	}
}

// TestNoBrandChangesNothing: a zero brand renders byte for byte as no
// brand (TestGolden holds those bytes), and leaves the key alone.
func TestNoBrandChangesNothing(t *testing.T) {
	ov := Overrides{}.WithBrand(Brand{})
	if ov.Key() != (Overrides{}).Key() {
		t.Errorf("a zero brand changed the key to %q", ov.Key())
	}
	for _, msg := range variantNames {
		r := sampleRelease("ar", msg)
		a, err := Prepare(msg, r)
		if err != nil {
			t.Fatal(err)
		}
		b, err := PrepareWith(ov, msg, r)
		if err != nil {
			t.Fatal(err)
		}
		at, ah := a.Personalize(sampleRecipient("ar"))
		bt, bh := b.Personalize(sampleRecipient("ar"))
		if at != bt || ah != bh {
			t.Errorf("%s: a zero brand changed the message", msg)
		}
	}
}

// TestBrandKey: the key a render cache uses changes with every field of
// the brand, so a new footer is rendered again.
func TestBrandKey(t *testing.T) {
	seen := map[string]string{"": "none"}
	for name, b := range map[string]Brand{
		"name":      {Name: "A"},
		"name2":     {Name: "B"},
		"footer":    {Name: "A", Footer: "f"},
		"footer_fr": {Name: "A", Footer: "f", Footers: map[string]string{"fr": "g"}},
		"address":   {Name: "A", Address: "x"},
		"logo":      {Name: "A", LogoURL: "https://x/l?v=1", LogoWidth: 10, LogoHeight: 10},
		"logo2":     {Name: "A", LogoURL: "https://x/l?v=2", LogoWidth: 10, LogoHeight: 10},
	} {
		k := Overrides{}.WithBrand(b).Key()
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		seen[k] = name
	}
}

// TestOverrideSeesBrand: an administrator's template may show the brand,
// and is checked with one set.
func TestOverrideSeesBrand(t *testing.T) {
	src := Source{Subject: "{{.Title}}", Text: "{{.Brand.Name}}\n{{range .Brand.Address}}{{.}}\n{{end}}", HTML: `<p>{{.Brand.Name}}</p>{{with .Brand.LogoURL}}<img src="{{.}}" alt="">{{end}}`}
	if err := CheckOverride(t.Context(), VariantPublic, "en", src); err != nil {
		t.Fatal(err)
	}
	mt, err := compile(VariantPublic, src)
	if err != nil {
		t.Fatal(err)
	}
	mt.lang = "en"
	ov := Overrides{sets: map[overrideKey]*messageTemplates{{VariantPublic, "en"}: mt}}.WithBrand(testBrand)
	p, err := PrepareWith(ov, VariantPublic, sampleRelease("en", VariantPublic))
	if err != nil {
		t.Fatal(err)
	}
	text, html := p.Personalize(sampleRecipient("en"))
	if !strings.Contains(text, "Agence internationale <des> mobilités\n17 route des Morillons\nCH-1211 Genève 19\n") {
		t.Errorf("text: %q", text)
	}
	if !strings.Contains(html, `<img src="https://news.example.org/branding/logo?v=abc123"`) {
		t.Errorf("html: %q", html)
	}
}

// BenchmarkBrand compares rendering with and without a brand: once per
// release, message and language (prepare), and per recipient
// (personalize), which a brand must leave as cheap as it was.
//
//	go test ./templates/ -run '^$' -bench Brand -benchmem -cpu 1
func BenchmarkBrand(b *testing.B) {
	for _, c := range []struct {
		name string
		ov   Overrides
	}{{"none", Overrides{}}, {"branded", Overrides{}.WithBrand(testBrand)}} {
		r := sampleRelease("fr", VariantPublic)
		b.Run("prepare/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PrepareWith(c.ov, VariantPublic, r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("personalize/"+c.name, func(b *testing.B) {
			p, err := PrepareWith(c.ov, VariantPublic, r)
			if err != nil {
				b.Fatal(err)
			}
			rc := sampleRecipient("fr")
			b.ReportAllocs()
			for b.Loop() {
				p.Personalize(rc)
			}
		})
	}
}

// TestDraftPreviewsWithoutSaving: a draft renders as a saved override
// would, leaves the overrides it came from alone, and is refused as
// SaveOverride refuses it.
func TestDraftPreviewsWithoutSaving(t *testing.T) {
	base := Overrides{}.WithBrand(testBrand)
	ov, err := base.WithDraft(t.Context(), VariantPublic, "fr", Source{Subject: "BROUILLON {{.Title}}", Text: `{{template "layout" .}}`, HTML: `{{template "layout" .}}`})
	if err != nil {
		t.Fatal(err)
	}
	p, err := PrepareWith(ov, VariantPublic, sampleRelease("fr", VariantPublic))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Subject(), "BROUILLON ") {
		t.Errorf("subject %q", p.Subject())
	}
	if _, html := p.Personalize(sampleRecipient("fr")); !strings.Contains(html, "branding/logo") {
		t.Error("the draft lost the brand")
	}
	if ov.Key() == base.Key() || base.lookup(VariantPublic, "fr") != nil {
		t.Error("the draft changed the overrides it came from, or left the key alone")
	}
	_, err = base.WithDraft(t.Context(), VariantPublic, "fr", Source{Subject: "x", Text: "x", HTML: "<p>{{.Nope}}</p>"})
	if d := strings.Join(communique.ErrorDetails(err), "; "); !strings.Contains(d, "html: line 1") {
		t.Errorf("a bad draft: %v", err)
	}
}
