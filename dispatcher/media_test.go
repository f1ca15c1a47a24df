package dispatcher_test

import (
	"context"
	"strings"
	"testing"

	"github.com/communique/communique/media"
	"github.com/communique/communique/releases"
)

// A public message links the release's photos and documents, titled in
// the reader's language; it attaches nothing.
func TestPublicMessageLinksItsMedia(t *testing.T) {
	b := setup(t, 2, nil)
	ctx := context.Background()
	id := b.create(t, "with-a-document")
	doc, err := media.New(b.db, nil, nil).Add(ctx, media.Upload{ReleaseID: id, Filename: "agreement.pdf",
		Data: strings.NewReader("%PDF-1.4\n%%EOF\n"), Texts: media.Texts{"fr": {Caption: "L'accord"}}, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := releases.Publish(ctx, b.db, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both messages", func() bool { return len(b.smtp.Messages()) == 2 })
	link := "https://news.example.org" + doc.Path(media.RenditionOriginal)
	for _, m := range b.smtp.Messages() {
		title := map[string]string{"r0@example.net": "agreement.pdf", "r1@example.net": "L'accord"}[m.To[0]]
		parts := bodyParts(t, m.Data)
		parts["text/plain"] = strings.ReplaceAll(parts["text/plain"], "\r\n", "\n")
		if !strings.Contains(parts["text/plain"], "- "+title+" (PDF, 1 KB)\n  <"+link+">") {
			t.Errorf("%s: the text part does not list %s:\n%s", m.To[0], link, parts["text/plain"])
		}
		if !strings.Contains(parts["text/html"], `<a href="`+link+`"`) {
			t.Errorf("%s: the HTML part does not link %s", m.To[0], link)
		}
		if len(parts) != 2 || strings.Contains(string(m.Data), "application/pdf") {
			t.Errorf("%s: something is attached: %v", m.To[0], len(parts))
		}
	}
}
