package mailer

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestBuildHeaders(t *testing.T) {
	m, err := Build(&Message{
		FromName: "Media Office", FromEmail: "media@example.org",
		ToName: "Awa Diop", ToEmail: "awa@example.com",
		ReplyTo: "press@example.org", ReturnPath: "bounce+1-x@example.org",
		MessageID: "delivery-1.release-2@example.org", ListID: "Media Office <releases.example.org>",
		Language: "fr", UnsubscribeHTTPS: "https://news.example.org/unsubscribe/tok",
		UnsubscribeMailto: "mailto:unsubscribe+tok@example.org",
		Subject:           "Accord signé à Genève", Text: "texte", HTML: "<p>texte</p>", Date: time.Unix(1790000000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	msg, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	for k, want := range map[string]string{
		"Message-Id":            "<delivery-1.release-2@example.org>",
		"Reply-To":              "<press@example.org>",
		"Content-Language":      "fr",
		"Auto-Submitted":        "auto-generated",
		"Precedence":            "bulk",
		"List-Unsubscribe":      "<https://news.example.org/unsubscribe/tok>, <mailto:unsubscribe+tok@example.org>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if subj != "Accord signé à Genève" || !strings.HasPrefix(h.Get("Subject"), "=?UTF-8?") {
		t.Errorf("Subject %q decodes to %q", h.Get("Subject"), subj)
	}
	if h.Get("User-Agent") != "" || h.Get("X-Mailer") != "" {
		t.Errorf("library advertises itself: %q %q", h.Get("User-Agent"), h.Get("X-Mailer"))
	}
}

func TestBuildCannotInjectHeaders(t *testing.T) {
	for _, evil := range []string{"Hi\r\nBcc: victim@example.net", "Hi\nX-Evil: 1", "Hi\rBcc: a@b.c", "=?UTF-8?Q?x=0D=0ABcc:_v@example.net?="} {
		m, err := Build(&Message{
			FromName: evil, FromEmail: "media@example.org", ToName: evil, ToEmail: "awa@example.com",
			MessageID: "x@example.org", ListID: evil, Language: "en", Subject: evil, Text: "t", HTML: "h", Date: time.Now(),
		})
		if err != nil {
			continue // refusing is as safe as neutralising
		}
		var buf bytes.Buffer
		m.WriteTo(&buf)
		msg, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("%q: unparsable message: %v", evil, err)
		}
		if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Evil") != "" {
			t.Errorf("%q added a header: %v", evil, msg.Header)
		}
		if to, _ := msg.Header.AddressList("To"); len(to) != 1 || to[0].Address != "awa@example.com" {
			t.Errorf("%q changed the recipients: %v", evil, to)
		}
	}
}
