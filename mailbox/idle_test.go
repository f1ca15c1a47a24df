package mailbox

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
)

// An idle connection is closed with a 421 4.4.2, as real servers do, and
// the log says so.
func TestIdleConnectionClosed(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	_, addr := setup(t, Options{IdleTimeout: 200 * time.Millisecond, Logger: logger})
	c := dial(t, addr)
	time.Sleep(400 * time.Millisecond)
	err := c.Noop()
	if code := smtpCode(err); code != 421 {
		t.Fatalf("NOOP on an idle connection: %v, want a 421", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "mailbox: closing an idle connection") {
		t.Fatalf("the idle close was not logged: %q", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A client that kept its connection open across a pause sends the first
// message after it at once, whether the pause was longer than the
// client's idle check (the connection is probed) or shorter (the message
// meets the 421 and goes again on a new connection). Each message arrives
// once, and none is deferred: a deferral would hold it back for the retry
// delay, 30 s by default.
func TestFirstMessageAfterIdleLeavesAtOnce(t *testing.T) {
	for _, pause := range []time.Duration{500 * time.Millisecond, 2500 * time.Millisecond} {
		t.Run(pause.String(), func(t *testing.T) {
			t.Parallel()
			s, addr := setup(t, Options{IdleTimeout: 200 * time.Millisecond})
			ts, err := mailer.ParseTargets("smtp://" + addr + "?tls=none")
			if err != nil {
				t.Fatal(err)
			}
			conn := mailer.NewPool(ts[0], "example.org").Conn()
			defer conn.Close()
			msg := func(to string) []mailer.Raw {
				return []mailer.Raw{{From: "b@example.org", To: to, Data: []byte("Subject: x\r\n\r\nbody\r\n")}}
			}
			if r := conn.SendRaw(context.Background(), msg("first@example.com")); r[0].Status != mailer.Sent {
				t.Fatalf("first message: %+v", r[0])
			}
			time.Sleep(pause)
			start := time.Now()
			r := conn.SendRaw(context.Background(), append(msg("second@example.com"), msg("third@example.com")...))
			took := time.Since(start)
			for i, res := range r {
				if res.Status != mailer.Sent {
					t.Fatalf("message %d after the pause: %+v", i+2, res)
				}
			}
			if took > time.Second {
				t.Fatalf("the messages after the pause took %v", took)
			}
			got := map[string]int{}
			for _, m := range s.Messages() {
				got[m.To[0]]++
			}
			if len(got) != 3 || got["second@example.com"] != 1 || got["third@example.com"] != 1 {
				t.Fatalf("received %v", got)
			}
		})
	}
}
