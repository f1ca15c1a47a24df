package web

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/templates"
)

// The public pages and the confirmation mail show the organisation's
// branding; the logo is served with its hash as ETag, 404 without one.
func TestPublicPagesShowTheBranding(t *testing.T) {
	b := setup(t)
	if status, _, resp := b.fetch(&http.Client{}, "GET", "/branding/logo", nil); status != http.StatusNotFound || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("logo before there is one: %d", status)
	}
	_, page, _ := b.fetch(&http.Client{}, "GET", "/subscribe?lang=en", nil)
	if strings.Contains(page, "<footer") || strings.Contains(page, "branding/logo") || !strings.Contains(page, "<bdi>Media Office</bdi>") {
		t.Fatalf("the page without branding shows some:\n%s", page)
	}

	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewGray(image.Rect(0, 0, 200, 50))); err != nil {
		t.Fatal(err)
	}
	brand, err := branding.Save(b.ctx, b.db, branding.Update{
		Name: "International Mobility Agency", Address: "17 route des Morillons\nCH-1211 Geneva 19",
		Footer: "Our press office answers on weekdays.", Footers: map[string]string{"ar": "يجيب مكتبنا الصحفي في أيام العمل."},
		Logo: logo.Bytes(),
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	logoPath := "/branding/logo?v=" + brand.Logo.Hash
	for lang, footer := range map[string]string{"en": "Our press office answers on weekdays.", "ar": "يجيب مكتبنا الصحفي في أيام العمل."} {
		_, page, _ = b.fetch(&http.Client{}, "GET", "/subscribe?lang="+lang, nil)
		for _, want := range []string{"<bdi>International Mobility Agency</bdi>", `<img class="logo" src="` + logoPath + `"`,
			footer, "<bdi>17 route des Morillons</bdi><br><bdi>CH-1211 Geneva 19</bdi>"} {
			if !strings.Contains(page, want) {
				t.Errorf("/subscribe?lang=%s lacks %q", lang, want)
			}
		}
	}

	status, body, resp := b.fetch(&http.Client{}, "GET", logoPath, nil)
	etag := `"` + brand.Logo.Hash + `"`
	if status != 200 || body != logo.String() || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("ETag") != etag ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("logo: %d %v", status, resp.Header)
	}
	if status, _, _ := b.fetch(&http.Client{}, "GET", "/branding/logo", nil, "If-None-Match", etag); status != http.StatusNotModified {
		t.Errorf("logo with its ETag: %d, want 304", status)
	}
	if _, _, resp := b.fetch(&http.Client{}, "GET", "/branding/logo?v=old", nil); resp.Header.Get("Cache-Control") != "public, no-cache" {
		t.Errorf("an old version's address is cached as %q", resp.Header.Get("Cache-Control"))
	}

	// The confirmation mail carries the branding, the logo by address.
	browser, csrf := b.subscribeForm()
	if status, page, _ := b.fetch(browser, "POST", "/subscribe?lang=en", subscription(csrf, "awa@example.org")); status != 200 {
		t.Fatalf("subscribe: %d\n%s", status, page)
	}
	mails := b.mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	for _, want := range []string{"International Mobility Agency", "Our press office answers on weekdays.", "CH-1211 Geneva 19"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
	if !strings.Contains(m.HTML, `src="`+b.srv.URL+logoPath+`"`) {
		t.Errorf("the confirmation does not link the logo:\n%s", m.HTML)
	}

	// An administrator's confirmation template is the one subscribers get.
	if _, err := templates.SaveOverride(b.ctx, b.db, templates.MessageConfirmation, "en", templates.Source{
		Subject: "Please confirm, from {{.Brand.Name}}", Text: "Confirm here: {{.ConfirmURL}}",
		HTML: `<p>Confirm <a href="{{.ConfirmURL}}">here</a>.</p>`}); err != nil {
		t.Fatal(err)
	}
	browser, csrf = b.subscribeForm()
	if status, page, _ := b.fetch(browser, "POST", "/subscribe?lang=en", subscription(csrf, "kofi@example.org")); status != 200 {
		t.Fatalf("subscribe: %d\n%s", status, page)
	}
	mails = b.mails()
	if len(mails) != 2 || mails[1].Subject != "Please confirm, from International Mobility Agency" || !strings.Contains(mails[1].Text, "Confirm here: http") {
		t.Errorf("the confirmation ignores the administrators' template: %+v", mails[len(mails)-1])
	}
}
