package dispatcher_test

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/logtest"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailer/smtptest"
)

// sendTo makes the dispatcher send through srv, over concurrency
// connections, with the given timeout.
func sendTo(srv *smtptest.Server, concurrency string, timeout time.Duration) func(*dispatcher.Config) {
	return func(c *dispatcher.Config) {
		ts, _ := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=none&concurrency=" + concurrency)
		p := mailer.NewPool(ts[0], "example.org")
		p.Timeout = timeout
		c.Pools = []*mailer.Pool{p}
	}
}

// received counts what srv accepted per recipient.
func received(srv *smtptest.Server) map[string]int {
	got := map[string]int{}
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			got[to]++
		}
	}
	return got
}

// checkOnce fails unless srv accepted each of the n readers exactly
// times messages.
func checkOnce(t *testing.T, srv *smtptest.Server, n, times int) {
	t.Helper()
	got := received(srv)
	if len(got) != n {
		t.Fatalf("the server heard from %d recipients, want %d", len(got), n)
	}
	for to, c := range got {
		if c != times {
			t.Errorf("%s received %d messages, want %d", to, c, times)
		}
	}
}

// A server that hangs up on connections idle for 300 ms, with the 421 of
// Postfix or go-smtp, between releases: the next release goes out at
// once, after a pause shorter than the dispatcher's idle check (its first
// messages meet the 421 and go again on new connections) and after a
// longer one (the idle connections are checked before use). No delivery
// is deferred, none sent twice, and the process does not crash (before,
// the first 421 panicked with a nil SMTP client).
func TestServerClosesIdleConnections(t *testing.T) {
	const n = 30
	srv := smtptest.Start(t, smtptest.Options{IdleTimeout: 300 * time.Millisecond})
	// One connection, so that each release finds the one the last left.
	b := setup(t, n, nil, sendTo(srv, "1", 5*time.Second))
	b.publishSlug(t, "first")
	waitFor(t, "the first release", func() bool { return b.statuses(t)["sent"] == n })
	for i, pause := range []time.Duration{600 * time.Millisecond, 2500 * time.Millisecond} {
		time.Sleep(pause)
		start := time.Now()
		b.publishSlug(t, []string{"second", "third"}[i])
		want := (i + 2) * n
		waitFor(t, "the next release", func() bool { return b.statuses(t)["sent"] == want })
		t.Logf("after a pause of %v: %d messages in %v", pause, n, time.Since(start))
	}
	var deferred int
	b.db.Get(&deferred, `SELECT count(*) FROM delivery_attempts WHERE status <> 'sent'`)
	if deferred != 0 {
		t.Fatalf("%d attempts were not sent at once", deferred)
	}
	checkOnce(t, srv, n, 3)
	if srv.Conns() != 3 {
		t.Fatalf("%d connections, want one per release", srv.Conns())
	}
}

// The main faults, end to end: each strikes once, on the third message of
// the first connection. A message the server cannot have accepted goes
// again at once and is sent at its first attempt; one it may have
// accepted is deferred with a reply that says why, then retried. Every
// recipient gets the release exactly once and every delivery ends sent.
func TestServerFaultsEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		step  smtptest.Step
		fault smtptest.Fault
		reply string // the recorded reply of the deferred attempt; "" for none
	}{
		{"421 after MAIL", smtptest.MAIL, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true}, ""},
		{"421 after RCPT", smtptest.RCPT, smtptest.Fault{Reply: "421 4.7.0 too many errors", Close: true}, ""},
		{"closed between messages", smtptest.MAIL, smtptest.Fault{Close: true}, ""},
		{"no answer to MAIL", smtptest.MAIL, smtptest.Fault{Hang: true}, ""},
		{"421 after the final dot", smtptest.Dot, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true}, "421 4.3.0 going down"},
		{"closed in the middle of DATA", smtptest.Body, smtptest.Fault{Close: true},
			"connection closed by server before it answered the end of the message; it may have been delivered"},
		{"no answer after the final dot", smtptest.Dot, smtptest.Fault{Hang: true},
			"no answer to the end of the message within 1s; it may have been delivered"},
		{"452 too many recipients", smtptest.RCPT, smtptest.Fault{Reply: "452 4.5.3 too many recipients"}, "452 4.5.3 too many recipients"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 40
			var struck atomic.Int32
			srv := smtptest.Start(t, smtptest.Options{Fault: func(a smtptest.At) *smtptest.Fault {
				if a.Conn == 1 && a.Msg == 3 && a.Step == tc.step && struck.Add(1) == 1 {
					return &tc.fault
				}
				return nil
			}})
			b := setup(t, n, nil, sendTo(srv, "2", time.Second))
			b.publish(t)
			waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
			if struck.Load() == 0 {
				t.Fatal("the fault never struck")
			}
			checkOnce(t, srv, n, 1)
			var attempts []struct {
				Email  string `db:"email"`
				Status string `db:"status"`
				Code   *int   `db:"smtp_code"`
				Reply  string `db:"smtp_reply"`
			}
			if err := b.db.Select(&attempts, `SELECT d.email, a.status, a.smtp_code, a.smtp_reply
				FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
				WHERE a.status <> 'sent' ORDER BY a.delivery_id, a.attempt`); err != nil {
				t.Fatal(err)
			}
			if tc.reply == "" {
				if len(attempts) != 0 {
					t.Fatalf("attempts not sent at once: %+v", attempts)
				}
				return
			}
			if len(attempts) != 1 || attempts[0].Status != "deferred" || attempts[0].Reply != tc.reply {
				t.Fatalf("attempts not sent: %+v, want one deferred with %q", attempts, tc.reply)
			}
			var d struct {
				Attempts int `db:"attempts"`
				Code     int `db:"smtp_code"`
			}
			b.db.Get(&d, `SELECT attempts, smtp_code FROM deliveries WHERE email = $1`, attempts[0].Email)
			if d.Attempts != 2 || d.Code != 250 {
				t.Fatalf("the deferred delivery ended %+v, want sent at its second attempt", d)
			}
		})
	}
}

// A panic in a worker, before a chunk is sent or half-way through it
// (in an outcome callback, after the server accepted a message), is
// recovered and logged with its stack and dispatch; the chunk's outcomes
// so far are recorded and the rest handed back, the worker goes on, and
// every recipient gets the release exactly once.
func TestWorkerPanicIsRecovered(t *testing.T) {
	const n = 120
	var chunks, observed atomic.Int32
	logs := &logtest.Buffer{}
	srv := smtptest.Start(t, smtptest.Options{})
	b := setup(t, n, nil, sendTo(srv, "2", 5*time.Second), func(c *dispatcher.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		c.Pools[0].Observe = func(string, time.Duration) {
			if k := observed.Add(1); k == 10 || k == 75 {
				panic("metrics exploded")
			}
		}
	})
	dispatcher.SetChunkHook(b.disp, func() {
		if k := chunks.Add(1); k == 1 || k == 3 {
			panic("renderer went away")
		}
	})
	b.publish(t)
	waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
	checkOnce(t, srv, n, 1)
	out := logs.String()
	for _, want := range []string{"renderer went away", "metrics exploded"} {
		i := strings.Index(out, want)
		if i < 0 {
			t.Fatalf("no log of the panic %q:\n%s", want, out)
		}
		line := out[strings.LastIndexByte(out[:i], '\n')+1:]
		line = line[:strings.IndexByte(line, '\n')]
		if !strings.Contains(line, "recovered from a panic") || !strings.Contains(line, "dispatch_id=") ||
			strings.Contains(line, "dispatch_id=0 ") || !strings.Contains(line, "stack=") || !strings.Contains(line, "worker.go") {
			t.Fatalf("the panic is not logged with its dispatch and stack: %s", line)
		}
	}
	var leased, attempts int
	b.db.Get(&leased, `SELECT count(*) FROM deliveries WHERE lease_until IS NOT NULL`)
	b.db.Get(&attempts, `SELECT count(*) FROM delivery_attempts`)
	if leased != 0 || attempts != n {
		t.Fatalf("%d deliveries still leased, %d attempts recorded for %d deliveries", leased, attempts, n)
	}
}

// A panic in the retry scheduler is logged with its stack and the
// scheduler starts again: a delivery deferred meanwhile is still retried
// and sent, and the process lives on.
func TestRetrySchedulerPanicIsRecovered(t *testing.T) {
	const n = 20
	logs := &logtest.Buffer{}
	var struck, ticks atomic.Int32
	srv := smtptest.Start(t, smtptest.Options{Fault: func(a smtptest.At) *smtptest.Fault {
		if a.Conn == 1 && a.Msg == 3 && a.Step == smtptest.RCPT && struck.Add(1) == 1 {
			return &smtptest.Fault{Reply: "452 4.5.3 try again later"}
		}
		return nil
	}})
	b := setup(t, n, nil, sendTo(srv, "2", time.Second), func(c *dispatcher.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	dispatcher.SetTickHook(b.disp, func() {
		if k := ticks.Add(1); k <= 2 {
			panic("scheduler tripped")
		}
	})
	b.publish(t)
	waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
	if struck.Load() == 0 || ticks.Load() < 3 {
		t.Fatalf("the fault struck %d times, the scheduler ticked %d times", struck.Load(), ticks.Load())
	}
	checkOnce(t, srv, n, 1)
	out := logs.String()
	if strings.Count(out, "scheduler tripped") < 2 || !strings.Contains(out, `loop="retry scheduler"`) || !strings.Contains(out, "retry.go") {
		t.Fatalf("the scheduler's panics are not logged with their loop and stack:\n%s", out)
	}
}

// With a window, to a server that offers CHUNKING: the faults that strike
// messages on the wire behind the third one, end to end. Every recipient
// gets the release exactly once (a refused one, never), and every other
// delivery ends sent, at once or after its deferral; a refused RCPT does
// not draw the next message into its transaction.
func TestWindowFaultsEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		step    smtptest.Step
		fault   smtptest.Fault
		bounced int
	}{
		{"421 after MAIL", smtptest.MAIL, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true}, 0},
		{"550 after RCPT", smtptest.RCPT, smtptest.Fault{Reply: "550 5.1.1 no such user"}, 1},
		{"closed between messages", smtptest.MAIL, smtptest.Fault{Close: true}, 0},
		{"no answer after BDAT LAST", smtptest.Dot, smtptest.Fault{Hang: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 60
			var struck atomic.Int32
			srv := smtptest.Start(t, smtptest.Options{Chunking: true, Fault: func(a smtptest.At) *smtptest.Fault {
				if a.Conn == 1 && a.Msg == 3 && a.Step == tc.step && struck.Add(1) == 1 {
					return &tc.fault
				}
				return nil
			}})
			b := setup(t, n, nil, sendTo(srv, "2&window=16", time.Second))
			b.publish(t)
			waitFor(t, "every delivery to end", func() bool {
				s := b.statuses(t)
				return s["sent"] == n-tc.bounced && s["bounced"] == tc.bounced
			})
			if struck.Load() == 0 {
				t.Fatal("the fault never struck")
			}
			checkOnce(t, srv, n-tc.bounced, 1)
			var bdat int
			for _, m := range srv.Messages() {
				if m.Chunked {
					bdat++
				}
			}
			if bdat != n-tc.bounced {
				t.Errorf("%d of %d messages came with BDAT", bdat, n-tc.bounced)
			}
		})
	}
}
