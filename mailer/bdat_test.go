package mailer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailer/smtptest"
)

// window is the targets' window in these tests.
const window = 16

// With CHUNKING, each message goes as RSET, MAIL, RCPT and BDAT LAST, its
// content exactly as built: no dot-stuffing, a line end added when the
// content lacks its last one.
func TestChunkedContentArrivesAsBuilt(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true})
	conn := pool(t, srv, "&window=16").Conn()
	defer conn.Close()
	msgs := []mailer.Raw{
		{From: "b1@example.org", To: "r1@example.com", Data: []byte("Subject: one\r\n\r\n.a line with a dot\r\n.\r\n..\r\nend\r\n")},
		{From: "b2@example.org", To: "r2@example.com", Data: []byte("Subject: two\r\n\r\nno line end at the end")},
		{From: "b3@example.org", To: "r3@example.com", Data: []byte("Subject: three\r\n\r\n\r\n")},
	}
	checkSent(t, conn.SendRaw(context.Background(), msgs))
	got := srv.Messages()
	if len(got) != len(msgs) {
		t.Fatalf("%d messages accepted, want %d", len(got), len(msgs))
	}
	for i, m := range got {
		want := msgs[i].Data
		if !bytes.HasSuffix(want, []byte("\r\n")) {
			want = append(bytes.Clone(want), "\r\n"...)
		}
		if !m.Chunked || m.From != msgs[i].From || m.To[0] != msgs[i].To || !bytes.Equal(m.Data, want) {
			t.Errorf("message %d: chunked %v, from %s to %v, %q; want %q", i+1, m.Chunked, m.From, m.To, m.Data, want)
		}
	}
	want := "1 EHLO" + strings.Repeat(",1 RSET,1 MAIL,1 RCPT,1 BDAT", len(msgs))
	if got := strings.Join(srv.Commands(), ","); got != want {
		t.Errorf("commands\n%s\nwant\n%s", got, want)
	}
}

// A connection keeps up to window messages on the wire before it
// reads their answers: to a relay 20 ms away each way, 48 messages take
// a few round trips, where one round trip per message would take 48.
func TestChunkedWindowSavesRoundTrips(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true})
	ts, err := mailer.ParseTargets("smtp://" + delayProxy(t, srv.Addr(), 20*time.Millisecond) + "?tls=none&window=16")
	if err != nil {
		t.Fatal(err)
	}
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	const n, rtt = 48, 40 * time.Millisecond
	// Greeting and EHLO first, so that only the messages are timed.
	checkSent(t, conn.SendRaw(context.Background(), messages(1)))
	start := time.Now()
	checkSent(t, conn.SendRaw(context.Background(), messages(n)))
	if took := time.Since(start); took > n/2*rtt {
		t.Fatalf("%d messages took %v, %.1f round trips", n, took, float64(took)/float64(rtt))
	}
	if srv.Count() != n+1 || srv.Conns() != 1 {
		t.Fatalf("%d messages over %d connections, want %d over 1", srv.Count(), srv.Conns(), n+1)
	}
}

// A message on the wire when its connection is lost may have to go again
// on a new one, after later messages were built: built in Pool.Buffers()
// buffers taken in turn, it goes again whole. Here the server says 421 to
// the fifth message's MAIL, with the next ones already on the wire behind
// it, and answers nothing more.
func TestChunkedMessagesGoAgainWhole(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true,
		Fault: on(1, 5, smtptest.MAIL, smtptest.Fault{Reply: "421 4.3.0 going down", Hang: true})})
	p := pool(t, srv, "&window=16")
	conn := p.Conn()
	defer conn.Close()
	const n = 40
	bufs := make([][]byte, p.Buffers())
	body := func(i int) string { return fmt.Sprintf("Subject: m%d\r\n\r\nbody of message %d\r\n", i, i) }
	results := make([]mailer.Result, n)
	conn.SendEach(context.Background(), n, func(i int) (mailer.Raw, error) {
		k := i % len(bufs)
		bufs[k] = append(bufs[k][:0], body(i)...)
		return mailer.Raw{From: "b@example.org", To: fmt.Sprintf("r%d@example.com", i), Data: bufs[k]}, nil
	}, results)
	checkSent(t, results)
	got := srv.Messages()
	if len(got) != n || srv.Conns() != 2 {
		t.Fatalf("%d messages accepted over %d connections, want %d over 2", len(got), srv.Conns(), n)
	}
	seen := map[string]bool{}
	for _, m := range got {
		var i int
		fmt.Sscanf(m.To[0], "r%d@example.com", &i)
		if seen[m.To[0]] || string(m.Data) != body(i) {
			t.Fatalf("message to %s (seen before: %v): %q", m.To[0], seen[m.To[0]], m.Data)
		}
		seen[m.To[0]] = true
	}
}

// A server that takes a few messages per connection, says 421 and hangs
// up with messages unread: its last answers can be lost with the
// connection, so messages it accepted may be deferred as perhaps
// delivered (and so go twice); a message sent again after a 421 can meet
// the next connection's 421 too, and the rest is then deferred. None is
// lost, refused or accepted twice at once. This is why the window is a
// target's choice.
func TestChunkedToAServerThatCapsItsConnections(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true, MaxPerConn: 7})
	conn := pool(t, srv, "&window=16").Conn()
	defer conn.Close()
	msgs := messages(60)
	got := conn.SendRaw(context.Background(), msgs)
	accepted := map[string]int{}
	for _, m := range srv.Messages() {
		accepted[m.To[0]]++
	}
	perhaps, deferred := 0, 0
	for i, r := range got {
		to := msgs[i].To
		switch {
		case r.Status == mailer.Sent && accepted[to] == 1:
		case r.Status == mailer.Deferred && strings.Contains(r.Reply, mayHaveBeen) && accepted[to] <= 1:
			perhaps++
		case r.Status == mailer.Deferred && accepted[to] == 0:
			deferred++
		default:
			t.Errorf("message %d: %+v, accepted %d times", i+1, r, accepted[to])
		}
	}
	t.Logf("of %d messages, %d deferred as perhaps delivered and %d deferred unsent, over %d connections",
		len(msgs), perhaps, deferred, srv.Conns())
}

// Without a window, a server that offers CHUNKING gets DATA, one message
// answered before the next starts.
func TestChunkingNeedsAWindow(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true})
	conn := pool(t, srv, "").Conn()
	defer conn.Close()
	checkSent(t, conn.SendRaw(context.Background(), messages(2)))
	want := "1 EHLO,1 MAIL,1 RCPT,1 DATA,1 MAIL,1 RCPT,1 DATA"
	if got := strings.Join(srv.Commands(), ","); got != want {
		t.Fatalf("commands\n%s\nwant\n%s", got, want)
	}
}

// Messages already on the wire when the context ends are answered and
// kept; those not yet started stay unsent, to go back to the queue.
func TestChunkedStopsStartingWhenTheContextEnds(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true,
		Fault: on(1, 1, smtptest.MAIL, smtptest.Fault{Delay: time.Second})})
	ts, _ := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=none&window=16")
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	// Time enough, on a busy machine, to write the first window; the
	// server answers the first message after it.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got := conn.SendRaw(ctx, messages(window+4))
	for i, r := range got {
		want := mailer.Sent
		if i >= window {
			want = mailer.Unsent
		}
		if r.Status != want {
			t.Errorf("message %d: %+v, want %s", i+1, r, want)
		}
	}
	if srv.Count() != window {
		t.Errorf("%d messages accepted, want %d", srv.Count(), window)
	}
}

// A message that cannot be built fails alone; the window goes on.
func TestChunkedBuildFailureFailsOneMessage(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true})
	conn := pool(t, srv, "&window=16").Conn()
	defer conn.Close()
	msgs := messages(5)
	results := make([]mailer.Result, len(msgs))
	conn.SendEach(context.Background(), len(msgs), func(i int) (mailer.Raw, error) {
		if i == 2 {
			return mailer.Raw{}, fmt.Errorf("template for message %d is broken", i+1)
		}
		return msgs[i], nil
	}, results)
	for i, r := range results {
		if want := map[bool]string{true: mailer.Failed, false: mailer.Sent}[i == 2]; r.Status != want {
			t.Errorf("message %d: %+v, want %s", i+1, r, want)
		}
	}
	if srv.Count() != 4 {
		t.Errorf("%d messages accepted, want 4", srv.Count())
	}
}

// Under a rate limit, a message that must wait for its turn does not
// leave the answers before it unread meanwhile: they are read first, and
// the connection, idle then, is checked before the message goes. Here
// the server hangs up on a connection idle for a second, and the rate
// allows a message every 2.5 s: each message leaves on its turn, on a
// new connection, none deferred and none waiting for a second turn.
func TestChunkedUnderARateLimitReadsAnswersBeforeWaiting(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Chunking: true, IdleTimeout: time.Second})
	conn := pool(t, srv, "&window=16&rate=0.4").Conn()
	defer conn.Close()
	start := time.Now()
	checkSent(t, conn.SendRaw(context.Background(), messages(3)))
	// Two waits of 2.5 s; a message that lost its turn would add one.
	if took := time.Since(start); took > 7500*time.Millisecond {
		t.Fatalf("3 messages at 0.4 a second took %v", took)
	}
	if srv.Conns() != 3 || srv.Count() != 3 {
		t.Fatalf("%d messages over %d connections, want 3 over 3", srv.Count(), srv.Conns())
	}
}
