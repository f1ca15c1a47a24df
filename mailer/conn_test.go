package mailer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/mail"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
)

func TestSendOne(t *testing.T) {
	srv := mailbox.New(mailbox.Options{})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts, _ := mailer.ParseTargets("smtp://" + addr + "?tls=none")
	pool := mailer.NewPool(ts[0], "example.org")
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pool.DKIM = mailer.NewDKIM(key, "sel", "example.org")
	err = pool.SendOne(context.Background(), &mailer.Message{
		FromName: "Media", FromEmail: "media@example.org", ToEmail: "awa@example.com",
		MessageID: "c1@example.org", Language: "fr", Subject: "Confirmez", Text: "texte", HTML: "<p>texte</p>", Date: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].From != "media@example.org" || msgs[0].To[0] != "awa@example.com" {
		t.Fatalf("received %+v", msgs)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("DKIM-Signature") == "" || m.Header.Get("Message-Id") != "<c1@example.org>" {
		t.Fatalf("headers %v", m.Header)
	}
	if err := pool.SendOne(context.Background(), &mailer.Message{FromEmail: "media@example.org", ToEmail: "not an address"}); err == nil {
		t.Fatal("a bad address was sent")
	}
}
