package dispatcher_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// bodyParts decodes every text part of a raw message.
func bodyParts(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(b)
	}
}

// Every public message links to the release's page in the newsroom, in
// the language the reader was sent.
func TestPublicMessageLinksToItsPage(t *testing.T) {
	b := setup(t, 2, nil)
	b.publishSlug(t, "office-opens")
	waitFor(t, "both messages", func() bool { return len(b.smtp.Messages()) == 2 })
	for _, m := range b.smtp.Messages() {
		lang := map[string]string{"r0@example.net": "en", "r1@example.net": "fr"}[m.To[0]]
		url := "https://news.example.org/releases/office-opens?lang=" + lang
		parts := bodyParts(t, m.Data)
		if !strings.Contains(parts["text/plain"], "<"+url+">") {
			t.Errorf("%s: the text part lacks %s:\n%s", m.To[0], url, parts["text/plain"])
		}
		if !strings.Contains(parts["text/html"], `<a href="`+url+`"`) {
			t.Errorf("%s: the HTML part lacks a link to %s", m.To[0], url)
		}
	}
}
