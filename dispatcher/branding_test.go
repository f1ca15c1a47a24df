package dispatcher_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/communique/communique/branding"
)

// Every message carries the branding saved when it is rendered: the name,
// footer and address in both parts, the logo linked (never attached) in
// the HTML part; a change of the branding reaches the next release.
func TestMessagesCarryTheBranding(t *testing.T) {
	b := setup(t, 1, nil)
	ctx := context.Background()
	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewGray(image.Rect(0, 0, 120, 40))); err != nil {
		t.Fatal(err)
	}
	brand, err := branding.Save(ctx, b.db, branding.Update{
		Name: "International Mobility Agency", Address: "17 route des Morillons\nCH-1211 Geneva 19",
		Footer: "You receive this because you subscribed.", Logo: logo.Bytes(),
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	b.publishSlug(t, "first")
	waitFor(t, "the first message", func() bool { return len(b.smtp.Messages()) == 1 })
	parts := bodyParts(t, b.smtp.Messages()[0].Data)
	for _, p := range []string{"text/plain", "text/html"} {
		for _, want := range []string{"International Mobility Agency", "You receive this because you subscribed.", "17 route des Morillons", "CH-1211 Geneva 19"} {
			if !strings.Contains(parts[p], want) {
				t.Errorf("%s lacks %q:\n%s", p, want, parts[p])
			}
		}
	}
	logoURL := `src="https://news.example.org/branding/logo?v=` + brand.Logo.Hash + `"`
	if !strings.Contains(parts["text/html"], logoURL) {
		t.Errorf("the HTML part lacks %s", logoURL)
	}
	if len(parts) != 2 {
		t.Errorf("the message has parts %v, want the text and HTML only", len(parts))
	}

	if _, err := branding.Save(ctx, b.db, branding.Update{Name: "IMA Media", Footer: "New footer."}, "test"); err != nil {
		t.Fatal(err)
	}
	b.publishSlug(t, "second")
	waitFor(t, "the second message", func() bool { return len(b.smtp.Messages()) == 2 })
	parts = bodyParts(t, b.smtp.Messages()[1].Data)
	if !strings.Contains(parts["text/plain"], "IMA Media") || !strings.Contains(parts["text/plain"], "New footer.") ||
		strings.Contains(parts["text/plain"], "Morillons") {
		t.Errorf("the second message has the old branding:\n%s", parts["text/plain"])
	}
}
