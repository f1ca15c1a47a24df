package templates

import (
	"strings"
	"testing"
)

// The embargoed notice carries each recipient's own preview link; no
// other message does, whatever the caller passes.
func TestPreviewLinkIsPersonalAndOnlyInTheEmbargoedNotice(t *testing.T) {
	for _, variant := range variantNames {
		p, err := Prepare(variant, sampleRelease("en", variant))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"https://news.example.org/preview/aaa", "https://news.example.org/preview/bbb"} {
			rc := sampleRecipient("en")
			rc.PreviewURL = u
			text, html := p.Personalize(rc)
			want := variant == VariantEmbargoed
			if got := strings.Contains(text, "<"+u+">"); got != want {
				t.Errorf("%s: text part shows %s: %v", variant, u, got)
			}
			if got := strings.Contains(html, `<a href="`+u+`"`); got != want {
				t.Errorf("%s: HTML part links to %s: %v", variant, u, got)
			}
		}
		rc := sampleRecipient("en")
		rc.PreviewURL = ""
		if text, _ := p.Personalize(rc); strings.Contains(text, "before the lift (this link") {
			t.Errorf("%s: a recipient without a preview link is offered one", variant)
		}
	}
	p, err := Prepare(VariantEmbargoed, sampleRelease("en", VariantEmbargoed))
	if err != nil {
		t.Fatal(err)
	}
	rc := sampleRecipient("en")
	rc.PreviewURL = `javascript:alert(1)"><script>`
	if _, html := p.Personalize(rc); strings.Contains(html, "javascript:") || strings.Contains(html, "<script>") {
		t.Errorf("an unsafe preview link reached the HTML part")
	}
}
