package resilience_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres/pgtest"
)

// A rolling restart during a release: serve and two `communique dispatch`
// processes, each stopped with SIGTERM and started again in turn while
// the release is sent. Each hands back what it holds, so every recipient
// gets the release exactly once.
func TestRollingRestartLosesNothing(t *testing.T) {
	t.Parallel()
	const n = 4_000
	sk := newSink(t)
	nats := natstest.External(t)
	dsn := pgtest.URL(t)
	// A rate limit per process keeps the release going through the
	// three restarts: at most 360 messages a second.
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4&rate=120", sk.addr)
	procs := []*process{
		startProcess(t, serveArgs(t, dsn, nats.URL, smtpURL, "-shutdown-delay", "500ms")...),
		startProcess(t, dispatchArgs(dsn, nats.URL, smtpURL)...),
		startProcess(t, dispatchArgs(dsn, nats.URL, smtpURL)...),
	}
	s := serviceAt(t, dsn)
	s.audience(t, n)
	id := s.publish(t)

	start := time.Now()
	next := 400
	for i, p := range procs {
		sk.waitTotal(t, next)
		if total, _, _ := sk.counts(); total >= n {
			t.Fatalf("all %d sent before restart %d: the test no longer interrupts anything", n, i+1)
		}
		took := p.terminate(30 * time.Second)
		at, _, _ := sk.counts()
		p.restart()
		t.Logf("%s stopped in %v after %d of %d messages, and started again", p.args[0], took.Round(time.Millisecond), at, n)
		next = at + 300
	}
	s.waitAllSent(t, sk, n, 90*time.Second)
	total, distinct, dups := sk.counts()
	t.Logf("%d recipients in %v: %d messages received, %d distinct, %d duplicates", n, time.Since(start).Round(time.Millisecond), total, distinct, dups)
	if dups != 0 {
		t.Fatalf("%d duplicates: a process stopped with SIGTERM sent again what another had sent", dups)
	}
	// A claim that PostgreSQL ran as the stop cancelled it leaves its chunk
	// leased, unsent, until the lease ends; another process sends it then.
	// It costs time, never a second message, so it is only reported.
	if waited := s.inFlightLost(t); waited > 0 {
		t.Logf("%d deliveries waited for their lease to end after a stop", waited)
	}
	s.checkReport(t, id, n)
	for _, p := range procs {
		if errs := p.errors(); len(errs) > 0 {
			t.Errorf("%s logged errors:\n%v", p.args[0], errs)
		}
	}
}
