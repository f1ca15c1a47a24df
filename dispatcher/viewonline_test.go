package dispatcher_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
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
		// multipart decodes quoted-printable parts itself.
		b, err := io.ReadAll(p)
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

// Each embargoed notice links to a preview signed for its own delivery.
func TestEmbargoedNoticeLinksToAPreviewOfItsOwn(t *testing.T) {
	b := setup(t, 0, nil)
	ctx := context.Background()
	pgtest.Exec(t, b.db, `INSERT INTO contacts (email, kind, country, languages) VALUES
		('m1@example.org', 'mission', 'MR', '{en}'), ('m2@example.org', 'mission', 'MR', '{fr}')`)
	until := time.Now().Add(time.Hour)
	id, err := releases.Create(ctx, b.db, &releases.Release{
		Slug: "under-embargo", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Title"}, "fr": {Title: "Titre"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"},
		EmbargoUntil: &until, EmbargoAudience: releases.EmbargoAudience{Missions: "concerned"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&releases.Lifecycle{DB: b.db}).Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both notices", func() bool { return len(b.smtp.Messages()) == 2 })
	signer := links.NewSigner("s")
	re := regexp.MustCompile(`<https://news\.example\.org/preview/([A-Za-z0-9_-]+)>`)
	for _, m := range b.smtp.Messages() {
		parts := bodyParts(t, m.Data)
		match := re.FindStringSubmatch(parts["text/plain"])
		if match == nil {
			t.Fatalf("%s: no preview link:\n%s", m.To[0], parts["text/plain"])
		}
		if !strings.Contains(parts["text/html"], `href="https://news.example.org/preview/`+match[1]+`"`) {
			t.Errorf("%s: the HTML part lacks the preview link", m.To[0])
		}
		delivery, err := signer.Verify("preview", match[1], time.Now())
		if err != nil {
			t.Fatalf("%s: %v", m.To[0], err)
		}
		var email string
		if err := b.db.Get(&email, `SELECT c.email FROM deliveries d JOIN contacts c ON c.id = d.contact_id WHERE d.id = $1`, delivery); err != nil {
			t.Fatal(err)
		}
		if email != m.To[0] {
			t.Errorf("the link sent to %s names the delivery of %s", m.To[0], email)
		}
	}
}
