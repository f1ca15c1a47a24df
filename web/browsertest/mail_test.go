package browsertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
)

var confirmLink = regexp.MustCompile(`https?://[^\s"<>]+/confirm/[A-Za-z0-9_-]+\?lang=[a-z]+`)

// waitForConfirmation waits for the mail to `to` in the capture mailbox
// and returns the confirmation link of its plain-text part.
func waitForConfirmation(t *testing.T, ctx context.Context, mb *mailbox.Server, to string) string {
	t.Helper()
	for {
		for _, m := range mb.Messages() {
			if !slices.Contains(m.To, to) {
				continue
			}
			text, err := plainText(m.Data)
			if err != nil {
				t.Fatalf("mail to %s: %v", to, err)
			}
			link := confirmLink.FindString(text)
			if link == "" {
				t.Fatalf("no confirmation link in the mail to %s:\n%s", to, text)
			}
			return link
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no mail to %s: %v", to, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// plainText returns the decoded text/plain part of a raw message.
func plainText(raw []byte) (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	return findText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findText(contentType, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err != nil {
				return "", err
			}
			text, err := findText(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			if err == nil && text != "" {
				return text, nil
			}
		}
	}
	if mt != "text/plain" {
		return "", nil
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}
