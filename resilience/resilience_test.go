package resilience_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/releases"
)

// A dispatcher process killed with SIGKILL at a random point of a
// 20,000-recipient release, while another runs, loses nobody; duplicates
// are at most the messages the killed process had in flight.
func TestKilledDispatcherLosesNothing(t *testing.T) {
	const n = 20_000
	sk := newSink(t)
	s := startService(t, app.Config{})
	s.audience(t, n)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4", sk.addr)
	victim := startDispatcher(t, s, smtpURL)
	startDispatcher(t, s, smtpURL)
	time.Sleep(300 * time.Millisecond)
	id := s.publish(t)

	killAt := 2_000 + rand.IntN(n/2)
	sk.waitTotal(t, killAt)
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	atKill, _, _ := sk.counts()

	s.waitAllSent(t, sk, n, 50*time.Second)
	total, distinct, dups := sk.counts()
	lost := s.inFlightLost(t)
	t.Logf("killed after %d of %d messages; in flight in the killed process: %d; duplicates: %d (received %d, distinct %d)",
		atKill, n, lost, dups, total, distinct)
	if dups > lost {
		t.Fatalf("%d duplicates, more than the %d messages in flight at the kill", dups, lost)
	}
	s.checkReport(t, id, n)
}

// SIGTERM makes a dispatcher stop taking work, hand back what it holds and
// exit 0 within its deadline; another process finishes the release.
func TestGracefulShutdownHandsBack(t *testing.T) {
	const n = 5_000
	sk := newSink(t)
	s := startService(t, app.Config{})
	s.audience(t, n)
	// A slow server keeps the release going long enough to interrupt.
	sk.setReject(func(string) *smtp.SMTPError { time.Sleep(time.Millisecond); return nil })
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4", sk.addr)
	d := startDispatcher(t, s, smtpURL)
	time.Sleep(300 * time.Millisecond)
	id := s.publish(t)
	sk.waitTotal(t, 500)
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	err := d.cmd.Wait()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("dispatcher exited with %v after SIGTERM:\n%s", err, d.out)
	}
	if took > 10*time.Second {
		t.Fatalf("shutdown took %v", took)
	}
	atStop, _, _ := sk.counts()
	if atStop >= n {
		t.Fatalf("all %d sent before SIGTERM took effect: the test no longer interrupts anything", n)
	}
	if held := s.count(t, `SELECT count(*) FROM deliveries WHERE status = 'queued' AND lease_until > now()`); held != 0 {
		t.Fatalf("%d deliveries still held after a graceful stop", held)
	}
	startDispatcher(t, s, smtpURL)
	s.waitAllSent(t, sk, n, 40*time.Second)
	if _, _, dups := sk.counts(); dups != 0 {
		t.Fatalf("%d duplicates after a graceful hand-back", dups)
	}
	t.Logf("stopped in %v after %d of %d messages; the next process sent the rest with no duplicate", took, atStop, n)
	s.checkReport(t, id, n)
}

// The NATS server restarted mid-release: dispatchers reconnect and finish.
func TestNATSRestartMidRelease(t *testing.T) {
	const n = 5_000
	sk := newSink(t)
	nats := natstest.External(t)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4", sk.addr)
	s := startService(t, app.Config{NATSURL: nats.URL, SMTPURL: smtpURL, Dispatcher: true})
	s.audience(t, n)
	sk.setReject(func(string) *smtp.SMTPError { time.Sleep(200 * time.Microsecond); return nil })
	id := s.publish(t)
	sk.waitTotal(t, 500)
	nats.Stop()
	time.Sleep(time.Second)
	nats.Start()
	s.waitAllSent(t, sk, n, 50*time.Second)
	if _, _, dups := sk.counts(); dups > s.inFlightLost(t) {
		t.Fatalf("%d duplicates, %d in flight", dups, s.inFlightLost(t))
	}
	s.checkReport(t, id, n)
}

// Every PostgreSQL connection of the service cut mid-release.
func TestPostgresConnectionsCut(t *testing.T) {
	const n = 5_000
	sk := newSink(t)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4", sk.addr)
	s := startService(t, app.Config{SMTPURL: smtpURL, Dispatcher: true})
	s.audience(t, n)
	sk.setReject(func(string) *smtp.SMTPError { time.Sleep(200 * time.Microsecond); return nil })
	id := s.publish(t)
	for cut := 0; cut < 3; cut++ {
		sk.waitTotal(t, 500+cut*1000)
		killed := s.count(t, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()) k`)
		t.Logf("cut %d connections", killed)
	}
	s.waitAllSent(t, sk, n, 50*time.Second)
	_, _, dups := sk.counts()
	if lost := s.inFlightLost(t); dups > lost {
		t.Fatalf("%d duplicates, %d in flight", dups, lost)
	}
	s.checkReport(t, id, n)
}

// The SMTP server answers 421 and 451 for a while, then recovers; 550
// refuses some addresses for good. Nothing is lost and the report is exact.
func TestSMTPOutageAndRefusals(t *testing.T) {
	const n = 2_000
	sk := newSink(t)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=4", sk.addr)
	s := startService(t, app.Config{SMTPURL: smtpURL, Dispatcher: true})
	s.audience(t, n)
	refused := map[string]bool{"r10@example.net": true, "r20@example.net": true, "r30@example.net": true}
	outageUntil := time.Now().Add(1500 * time.Millisecond)
	sk.setReject(func(to string) *smtp.SMTPError {
		if refused[to] {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		if time.Now().Before(outageUntil) {
			if len(to)%2 == 0 {
				return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "service not available"}
			}
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	})
	id := s.publish(t)
	deadline := time.Now().Add(50 * time.Second)
	for {
		sent := s.count(t, `SELECT count(*) FROM deliveries WHERE status = 'sent'`)
		bounced := s.count(t, `SELECT count(*) FROM deliveries WHERE status = 'bounced'`)
		if sent == n-len(refused) && bounced == len(refused) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sent, %d bounced", sent, bounced)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deferredAttempts := s.count(t, `SELECT count(*) FROM delivery_attempts WHERE status = 'deferred'`)
	if deferredAttempts == 0 {
		t.Fatal("no deferred attempt was recorded: the outage did not happen")
	}
	if _, distinct, dups := sk.counts(); distinct != n-len(refused) || dups != 0 {
		t.Fatalf("received %d distinct, %d duplicates", distinct, dups)
	}
	if sup := s.count(t, `SELECT count(*) FROM suppressions WHERE reason = 'bounced'`); sup != len(refused) {
		t.Fatalf("%d suppressions, want %d", sup, len(refused))
	}
	t.Logf("%d deferred attempts during the outage, all retried", deferredAttempts)
	rep, err := releases.GetReport(context.Background(), s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != n || rep.ByStatus["sent"] != n-len(refused) || rep.ByStatus["bounced"] != len(refused) {
		t.Fatalf("report %+v", rep)
	}
}

// A limit of 14 messages per second never lets 15 arrive within a second,
// measured where a provider would count: at the SMTP server.
func TestRateLimitIsExact(t *testing.T) {
	const n, rate = 50, 14
	sk := newSink(t)
	smtpURL := fmt.Sprintf("smtp://%s?tls=none&concurrency=6&rate=%d", sk.addr, rate)
	s := startService(t, app.Config{SMTPURL: smtpURL, Dispatcher: true})
	s.audience(t, n)
	s.publish(t)
	s.waitAllSent(t, sk, n, 30*time.Second)
	ts := sk.times()
	worst := 0
	for i := range ts {
		c := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < time.Second; j++ {
			c++
		}
		worst = max(worst, c)
	}
	span := ts[len(ts)-1].Sub(ts[0])
	t.Logf("%d messages in %v; the busiest second saw %d", n, span, worst)
	if worst > rate {
		t.Fatalf("%d messages arrived within one second, limit %d", worst, rate)
	}
	if worst < rate-2 {
		t.Fatalf("the busiest second saw only %d messages: the limit wastes capacity", worst)
	}
}
