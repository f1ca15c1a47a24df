package mailer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
)

func TestConnSendsManyOnOneConnection(t *testing.T) {
	srv := mailbox.New(mailbox.Options{})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts, err := mailer.ParseTargets("smtp://" + addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	var msgs []*mail.Msg
	for i := 0; i < 5; i++ {
		m, err := mailer.Build(&mailer.Message{FromName: "Media", FromEmail: "media@example.org",
			ToEmail: fmt.Sprintf("r%d@example.com", i), MessageID: fmt.Sprintf("m%d@example.org", i),
			Subject: "Hello", Text: "text", HTML: "<p>html</p>", Language: "en", Date: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for i, r := range conn.Send(context.Background(), msgs) {
		if r.Status != mailer.Sent {
			t.Errorf("message %d: %+v", i, r)
		}
	}
	if n := srv.Count(); n != 5 {
		t.Fatalf("server received %d messages, want 5", n)
	}
}
