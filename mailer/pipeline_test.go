package mailer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailer/smtptest"
)

// pool returns a pool of plain connections to srv with the fault tests'
// short timeout; query adds to the target's address (a rate, say).
func pool(t *testing.T, srv *smtptest.Server, query string) *mailer.Pool {
	t.Helper()
	ts, err := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=none" + query)
	if err != nil {
		t.Fatal(err)
	}
	p := mailer.NewPool(ts[0], "example.org")
	p.Timeout = faultTimeout
	return p
}

func messages(n int) []mailer.Raw {
	msgs := make([]mailer.Raw, n)
	for i := range msgs {
		msgs[i] = rawMessage(i+1, 0)
	}
	return msgs
}

// followed lists, message by message, whether the next one's envelope
// came with its final dot.
func followed(srv *smtptest.Server) []bool {
	var f []bool
	for _, m := range srv.Messages() {
		f = append(f, m.Followed)
	}
	return f
}

func checkSent(t *testing.T, got []mailer.Result) {
	t.Helper()
	for i, r := range got {
		if r.Status != mailer.Sent {
			t.Fatalf("message %d: %+v", i+1, r)
		}
	}
}

// With PIPELINING, the next message's envelope goes in the same write as
// the final dot: one round trip per message. Without it, nothing is sent
// ahead of an answer.
func TestNextEnvelopeGoesWithTheFinalDot(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts smtptest.Options
		want string
	}{
		{"pipelining", smtptest.Options{}, "[true true true false]"},
		{"no pipelining", smtptest.Options{NoPipelining: true}, "[false false false false]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.opts)
			conn := pool(t, srv, "").Conn()
			defer conn.Close()
			checkSent(t, conn.SendRaw(context.Background(), messages(4)))
			if got := fmt.Sprint(followed(srv)); got != tc.want {
				t.Fatalf("next envelope with the final dot: %s, want %s", got, tc.want)
			}
			if got := strings.Join(srv.Commands(), ","); strings.Count(got, "MAIL") != 4 || strings.Contains(got, "RSET") {
				t.Fatalf("commands %s", got)
			}
		})
	}
}

// A message refused at its final dot while the next envelope was on its
// way: the refusal is recorded, no reset cuts into the next message's
// answers, and the rest goes on the same connection.
func TestRefusalAtTheDotWithTheNextEnvelopeOnItsWay(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{
		Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Reply: "554 5.7.1 content rejected"})})
	conn := pool(t, srv, "").Conn()
	defer conn.Close()
	got := conn.SendRaw(context.Background(), messages(4))
	for i, w := range []want{sent, {mailer.Failed, 554, "554 5.7.1 content rejected"}, sent, sent} {
		if r := got[i]; r.Status != w.status || r.Code != w.code || !strings.Contains(r.Reply, w.reply) {
			t.Errorf("message %d: %+v, want %s %d %q", i+1, r, w.status, w.code, w.reply)
		}
	}
	var to []string
	for _, m := range srv.Messages() {
		to = append(to, m.To[0])
	}
	if strings.Join(to, ",") != "m1@example.com,m3@example.com,m4@example.com" {
		t.Fatalf("server accepted %v", to)
	}
	if srv.Conns() != 1 || strings.Contains(strings.Join(srv.Commands(), ","), "RSET") {
		t.Fatalf("%d connections, commands %v", srv.Conns(), srv.Commands())
	}
}

// deadlineOnly has a deadline its Err does not report yet, as on a
// machine too busy to fire the deadline's timer.
type deadlineOnly struct {
	context.Context
	at time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

// A message that started before the deadline goes on past it; the next
// one does not start with its final dot (an embargoed notice a second
// before the lift is the case).
func TestNothingStartsWithTheFinalDotPastTheDeadline(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{
		Fault: on(1, 1, smtptest.DATA, smtptest.Fault{Delay: 200 * time.Millisecond})})
	conn := pool(t, srv, "").Conn()
	defer conn.Close()
	ctx := deadlineOnly{context.Background(), time.Now().Add(100 * time.Millisecond)}
	got := conn.SendRaw(ctx, messages(2))
	if got[0].Status != mailer.Sent || got[1].Status != mailer.Unsent {
		t.Fatalf("%+v, want the first sent and the second unsent", got)
	}
	if n := strings.Count(strings.Join(srv.Commands(), ","), "MAIL"); n != 1 {
		t.Fatalf("%d MAIL commands past the deadline's first, want 1", n)
	}
}

// Under a rate limit, an envelope goes with the previous final dot only
// when its start is free at once: the next message does not wait for the
// previous one's answer, nor does the previous one's dot wait for the
// next message's turn.
func TestRateLimitedEnvelopesStartOnTime(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	conn := pool(t, srv, "&rate=4").Conn()
	defer conn.Close()
	start := time.Now()
	checkSent(t, conn.SendRaw(context.Background(), messages(6)))
	// Four in the first window (a second and a margin), two after it.
	if took := time.Since(start); took < time.Second || took > 2*time.Second {
		t.Fatalf("6 messages at 4 a second took %v", took)
	}
	f := followed(srv)
	if len(f) != 6 || !f[0] || !f[1] || !f[2] || f[3] {
		t.Fatalf("next envelope with the final dot: %v, want the first three, not the fourth", f)
	}
}
