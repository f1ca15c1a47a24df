package resilience_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/app"
)

// A release paused by its rate limit longer than the SMTP server keeps
// idle connections open (5 s, with a 421): every message after a pause
// finds its connection closed, and still leaves at once, on a new one.
// The dispatcher process does not crash (it used to, with a nil SMTP
// client, at the second message), no delivery is deferred, and every
// recipient gets the release exactly once.
func TestServerClosesIdleConnectionsDuringRateLimit(t *testing.T) {
	const n = 5
	const idle = 5 * time.Second
	// One message every 5.6 s over one connection: each waits out the
	// server's idle timeout.
	var rate = 0.18
	sk := newSinkIdle(t, idle)
	s := startService(t, app.Config{})
	s.audience(t, n)
	d := startDispatcher(t, s, fmt.Sprintf("smtp://%s?tls=none&concurrency=1&rate=%g", sk.addr, rate))
	time.Sleep(300 * time.Millisecond)
	id := s.publish(t)
	s.waitAllSent(t, sk, n, 35*time.Second)
	if d.cmd.ProcessState != nil || strings.Contains(d.out.String(), "panic") {
		t.Fatalf("the dispatcher died or panicked:\n%s", d.out)
	}
	if _, _, dups := sk.counts(); dups != 0 {
		t.Fatalf("%d duplicates", dups)
	}
	if deferred := s.count(t, `SELECT count(*) FROM delivery_attempts WHERE status <> 'sent'`); deferred != 0 {
		t.Fatalf("%d attempts were not sent at once", deferred)
	}
	if c := sk.connections(); c < n {
		t.Fatalf("%d connections for %d messages: the server's idle timeout never struck", c, n)
	}
	// Each message leaves when the rate allows, not a retry delay later.
	ts := sk.times()
	window := time.Duration(float64(time.Second) / rate)
	for i := 1; i < len(ts); i++ {
		if gap := ts[i].Sub(ts[i-1]); gap > window+time.Second {
			t.Errorf("message %d arrived %v after the one before, the rate allows one every %v", i+1, gap, window)
		}
	}
	t.Logf("%d messages over %d connections in %v", n, sk.connections(), ts[len(ts)-1].Sub(ts[0]))
	s.checkReport(t, id, n)
}
