package mailer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/communique/communique/mailer/smtptest"
)

// replyStyles are relays' answers to the final dot and the id in each.
var replyStyles = []struct {
	name, reply, id string
}{
	{"postfix", "250 2.0.0 Ok: queued as 4Xk3Lq1vQpz9", "4Xk3Lq1vQpz9"},
	{"postfix short id", "250 2.0.0 Ok: queued as 3F2A41C0B7", "3F2A41C0B7"},
	{"ses", "250 Ok 0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-1c2d3e4f5a6b-000000", "0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-1c2d3e4f5a6b-000000"},
	{"sendgrid", "250 Ok: queued as Z5qF8xAfQj-0vD6W1c4EGQ", "Z5qF8xAfQj-0vD6W1c4EGQ"},
	{"sendgrid bracketed", "250 Ok: queued as <Z5qF8xAfQj-0vD6W1c4EGQ>", "Z5qF8xAfQj-0vD6W1c4EGQ"},
	{"postmark", "250 2.0.0 Ok: 8c3b2a0e-7f1d-4c5e-9b6a-2d4f6e8a0c1b", "8c3b2a0e-7f1d-4c5e-9b6a-2d4f6e8a0c1b"},
	{"mailgun", "250 Great success", ""},
	{"exim", "250 OK id=1rX2ab-0001Cd-3F", "1rX2ab-0001Cd-3F"},
	{"gmail", "250 2.0.0 OK  1700000000 x12-20020a05620a0b8c00b0077d2fd0d8b0si1234567qkl.123 - gsmtp", "x12-20020a05620a0b8c00b0077d2fd0d8b0si1234567qkl.123"},
	{"sparkpost", "250 2.0.0 OK 12/34-56789-ABCDEF12", "12/34-56789-ABCDEF12"},
	{"text without code", "2.0.0 Ok: queued as 4Xk3Lq1vQpz9", "4Xk3Lq1vQpz9"},
	{"bare ok", "250 Ok", ""},
	{"ok and words", "250 2.0.0 OK message accepted", ""},
	{"ok queued", "250 2.0.0 Ok: queued", ""},
	{"okay", "250 okay123456", ""},
	{"smtptest default", "250 2.0.0 queued", ""},
	{"exchange echoes our message id", "250 2.6.0 <delivery-1.release-2@example.org> [InternalId=123, Hostname=x] Queued mail for delivery", ""},
	{"id with a space after as", "250 queued as  ABCD1234", "ABCD1234"},
	{"junk after queued as", "250 queued as \"x\"", ""},
	{"empty", "", ""},
}

func TestProviderID(t *testing.T) {
	for _, c := range replyStyles {
		if got := ProviderID(c.reply); got != c.id {
			t.Errorf("%s: ProviderID(%q) = %q, want %q", c.name, c.reply, got, c.id)
		}
	}
}

// FuzzProviderID checks that any reply gives an id that is a clean token
// the reply contains, never a panic.
func FuzzProviderID(f *testing.F) {
	for _, c := range replyStyles {
		f.Add(c.reply)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		id := ProviderID(reply)
		if id == "" {
			return
		}
		if !strings.Contains(reply, id) || len(id) > 200 || strings.ContainsAny(id, " \r\n\t<>") {
			t.Fatalf("ProviderID(%q) = %q", reply, id)
		}
	})
}

// TestProviderIDFromTheWire sends through a server answering in each
// relay's style and finds the id on the result.
func TestProviderIDFromTheWire(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{DotReply: func(n int) string { return replyStyles[n-1].reply }})
	ts, err := ParseTargets("smtp://" + srv.Addr() + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	conn := NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	var msgs []Raw
	for i := range replyStyles[:9] {
		msgs = append(msgs, Raw{From: "bounce@example.org", To: fmt.Sprintf("r%d@example.com", i), Data: []byte("Subject: x\r\n\r\nhello\r\n")})
	}
	for i, r := range conn.SendRaw(context.Background(), msgs) {
		c := replyStyles[i]
		if r.Status != Sent || r.ProviderID != c.id {
			t.Errorf("%s: status %s, provider id %q (reply %q), want sent with %q", c.name, r.Status, r.ProviderID, r.Reply, c.id)
		}
	}
}
