package newsroom_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/communique/communique/branding"
)

// The newsroom's pages show the organisation's branding, and a change of
// it reaches pages already kept in the cache and their ETags.
func TestPagesShowTheBranding(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "office-opens"})
	resp, home := b.get(t, "/?lang=en")
	before := resp.Header.Get("ETag")
	resp, _ = b.get(t, "/releases/office-opens?lang=en")
	releaseTag := resp.Header.Get("ETag")
	if !strings.Contains(home, "International Migration Agency") || strings.Contains(home, "branding/logo") {
		t.Fatalf("home without branding:\n%s", home)
	}

	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewGray(image.Rect(0, 0, 200, 50))); err != nil {
		t.Fatal(err)
	}
	brand, err := branding.Save(context.Background(), b.db, branding.Update{
		Name: "IMA Media Centre", Address: "17 route des Morillons\nCH-1211 Geneva 19",
		Footer: "Press office: weekdays.", Footers: map[string]string{"fr": "Service de presse : jours ouvrables."}, Logo: logo.Bytes(),
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for target, footer := range map[string]string{"/?lang=en": "Press office: weekdays.", "/releases/office-opens?lang=en": "Press office: weekdays.",
		"/?lang=fr": "Service de presse : jours ouvrables.", "/releases/nowhere": "Press office: weekdays."} {
		resp, page := b.get(t, target)
		for _, want := range []string{"IMA Media Centre", `<img class="logo" src="/branding/logo?v=` + brand.Logo.Hash + `" alt="">`, footer,
			"<address><bdi>17 route des Morillons</bdi><br><bdi>CH-1211 Geneva 19</bdi></address>"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s (%d) lacks %q", target, resp.StatusCode, want)
			}
		}
		if strings.Contains(page, "International Migration Agency") {
			t.Errorf("%s still names the configured organisation", target)
		}
	}
	if resp, _ := b.get(t, "/?lang=en"); resp.Header.Get("ETag") == before {
		t.Errorf("the home page kept its ETag %s across a change of branding", before)
	}
	if resp, _ := b.get(t, "/releases/office-opens?lang=en"); resp.Header.Get("ETag") == releaseTag {
		t.Errorf("the release page kept its ETag across a change of branding")
	}
}
