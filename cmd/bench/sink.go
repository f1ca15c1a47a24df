package main

import (
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is an SMTP server that accepts and discards everything, counting
// messages and timing the first and last, so that it costs the machine
// as little as a receiving server can.
type sink struct {
	addr  string
	stop  func()
	count atomic.Int64

	mu          sync.Mutex
	t0          time.Time
	first, last time.Duration
	// pause is the longest time without a message between the first and
	// the last: workers starved of planned deliveries show here.
	pause time.Duration
	done  chan struct{}
	want  int64
	// arrivals are the messages' times since t0, split into tenths of
	// the phase when asked (the phase's length is known only at its end).
	arrivals []time.Duration
}

// startSink starts a sink of the given kind: "go-smtp", an
// emersion/go-smtp server, "lean" (see leanServer), or "lean-ids", which
// names each message with a queue id.
func startSink(kind string) (*sink, error) {
	s := &sink{done: make(chan struct{})}
	switch kind {
	case "go-smtp":
		srv := smtp.NewServer(s)
		srv.Domain = "localhost"
		srv.AllowInsecureAuth = true
		srv.ReadTimeout = time.Minute
		srv.WriteTimeout = time.Minute
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.addr = l.Addr().String()
		s.stop = func() { srv.Close() }
		go srv.Serve(l)
	case "lean", "lean-ids":
		srv, addr, err := startLean(s.received, kind == "lean-ids")
		if err != nil {
			return nil, err
		}
		s.addr, s.stop = addr, srv.close
	default:
		return nil, fmt.Errorf("-sink %q: want go-smtp, lean or lean-ids", kind)
	}
	return s, nil
}

func (s *sink) close() { s.stop() }

// start begins a phase at t0: the count and times start again, so that
// one sink serves the product's run and the ceiling's.
func (s *sink) start(t0 time.Time) {
	s.mu.Lock()
	s.t0 = t0
	s.count.Store(0)
	s.first, s.last, s.pause, s.want = 0, 0, 0, 0
	s.arrivals = s.arrivals[:0]
	s.done = make(chan struct{})
	s.mu.Unlock()
}

// wait blocks until the sink has received n messages. It gives up once
// none has come for stall: a pipeline that stopped (a statement that
// fails on every try, say) would otherwise keep the run waiting for ever.
func (s *sink) wait(n int64, stall time.Duration, died <-chan error) error {
	s.mu.Lock()
	s.want = n
	reached := s.count.Load() >= n
	done := s.done
	s.mu.Unlock()
	if reached {
		return nil
	}
	tick := time.NewTicker(stall / 10)
	defer tick.Stop()
	last, since := s.count.Load(), time.Now()
	for {
		select {
		case <-done:
			return nil
		case err := <-died:
			return err
		case <-tick.C:
			if c := s.count.Load(); c != last {
				last, since = c, time.Now()
			} else if time.Since(since) >= stall {
				return fmt.Errorf("sink received %d of %d messages, and none in the last %v", c, n, stall)
			}
		}
	}
}

// rate waits for n messages, as wait does with a minute's stall, and
// returns them per second from the phase's start to the last.
func (s *sink) rate(n int) (float64, error) {
	if err := s.wait(int64(n), time.Minute, nil); err != nil {
		return 0, err
	}
	_, last, _ := s.times()
	return float64(n) / last.Seconds(), nil
}

func (s *sink) times() (first, last, pause time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.last, s.pause
}

func (s *sink) received() {
	n := s.count.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	since := time.Since(s.t0)
	if n == 1 {
		s.first = since
	} else {
		s.pause = max(s.pause, since-s.last)
	}
	s.last = since
	s.arrivals = append(s.arrivals, since)
	if s.want > 0 && n == s.want {
		close(s.done)
	}
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s}, nil }

type sinkSession struct{ s *sink }

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.received()
	return nil
}
func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }

// byTenth returns the messages per second in each tenth of the time from
// the phase's start to its last message: a slow start (planning) or a
// slow end (the last ranges) shows here.
func (s *sink) byTenth() (out [10]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last <= 0 {
		return out
	}
	var counts [10]int
	for _, a := range s.arrivals {
		counts[min(9, int(10*a/s.last))]++
	}
	tenth := s.last.Seconds() / 10
	for i, c := range counts {
		out[i] = math.Round(float64(c) / tenth)
	}
	return out
}
