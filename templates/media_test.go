package templates

import (
	"strings"
	"testing"
	"time"
)

func TestMediaAreLinkedNotAttached(t *testing.T) {
	rel := Release{ID: 7, Slug: "photos", Language: "en", Title: "An office opens", Body: "The office opens.",
		PublishedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), EmbargoUntil: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		URL: "https://news.example.org/releases/photos?lang=en"}
	plain, err := Prepare(VariantPublic, rel)
	if err != nil {
		t.Fatal(err)
	}
	plainText, plainHTML := plain.Personalize(Recipient{Email: "a@example.com"})

	rel.Media = []MediaLink{
		{Title: "The signing <b>in</b> Geneva", URL: "https://news.example.org/media/1/original/signing.jpg", About: "JPEG, 2.1 MB"},
		{Title: "agreement.pdf", URL: "https://news.example.org/media/2/original/agreement.pdf", About: "PDF, 120 KB"},
		{Title: "a script", URL: "javascript:alert(1)"},
	}
	p, err := Prepare(VariantPublic, rel)
	if err != nil {
		t.Fatal(err)
	}
	text, html := p.Personalize(Recipient{Email: "a@example.com"})
	for _, want := range []string{"\n\nPhotos and documents\n- The signing <b>in</b> Geneva (JPEG, 2.1 MB)\n  <https://news.example.org/media/1/original/signing.jpg>",
		"- agreement.pdf (PDF, 120 KB)\n  <https://news.example.org/media/2/original/agreement.pdf>"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{">Photos and documents</h2>", `<a href="https://news.example.org/media/1/original/signing.jpg" style="color:#0b5cad;text-decoration:underline;">The signing &lt;b&gt;in&lt;/b&gt; Geneva</a> (JPEG, 2.1 MB)</li>`} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(text+html, "javascript:") {
		t.Error("a link that is not http(s) is listed")
	}
	// The list only adds: what was there stays as it was.
	i := strings.Index(text, "\n\nPhotos and documents")
	j := i + 2 + strings.Index(text[i+2:], "\n\n")
	if i < 0 || text[:i]+text[j:] != plainText {
		t.Errorf("the list changed the rest of the text:\n%s\n---\n%s", text, plainText)
	}
	i = strings.Index(html, "<h2 style=\"margin:20px")
	j = i + strings.Index(html[i:], "</ul>") + len("</ul>")
	if i < 0 || html[:i]+html[j:] != plainHTML {
		t.Error("the list changed the rest of the HTML")
	}

	// The embargoed notice and the recall list nothing: the files answer
	// nothing before the lift, and nothing after a recall.
	for _, variant := range []string{VariantEmbargoed, VariantRecall} {
		p, err := Prepare(variant, rel)
		if err != nil {
			t.Fatal(err)
		}
		text, html := p.Personalize(Recipient{Email: "a@example.com", PreviewURL: "https://news.example.org/preview/x"})
		if strings.Contains(text+html, "media/1") || strings.Contains(text, "Photos and documents") {
			t.Errorf("%s lists the media", variant)
		}
	}

	// In Arabic, the heading is Arabic and each link isolated.
	rel.Language, rel.Title = "ar", "افتتاح مكتب"
	p, err = Prepare(VariantCorrection, rel)
	if err != nil {
		t.Fatal(err)
	}
	text, _ = p.Personalize(Recipient{Email: "a@example.com"})
	if !strings.Contains(text, "الصور والوثائق") || !strings.Contains(text, "\u2066<https://news.example.org/media/2/original/agreement.pdf>\u2069") {
		t.Errorf("Arabic correction:\n%q", text)
	}
}
