package resilience_test

import (
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is an SMTP server that counts what each recipient receives and when,
// and refuses on demand.
type sink struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	byRcpt   map[string]int
	arrivals []time.Time
	total    int
	sessions int
	reject   func(to string) *smtp.SMTPError
}

func newSink(t *testing.T) *sink { return newSinkIdle(t, 30*time.Second) }

// newSinkIdle returns a sink that hangs up on connections idle for idle,
// with go-smtp's "421 4.4.2 Idle timeout".
func newSinkIdle(t *testing.T, idle time.Duration) *sink {
	t.Helper()
	s := &sink{byRcpt: map[string]int{}}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = idle
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // killed clients are the point here
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) setReject(f func(to string) *smtp.SMTPError) {
	s.mu.Lock()
	s.reject = f
	s.mu.Unlock()
}

// counts returns messages received, distinct recipients, and duplicates.
func (s *sink) counts() (total, distinct, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, len(s.byRcpt), s.total - len(s.byRcpt)
}

func (s *sink) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrivals...)
}

// connections is how many connections the sink has accepted.
func (s *sink) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &sinkSession{s: s}, nil
}

type sinkSession struct {
	s  *sink
	to []string
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { ss.to = nil; return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	reject := ss.s.reject
	ss.s.mu.Unlock()
	if reject != nil {
		if err := reject(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	for _, to := range ss.to {
		ss.s.byRcpt[to]++
		ss.s.total++
	}
	ss.s.arrivals = append(ss.s.arrivals, time.Now())
	return nil
}
func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }

// waitTotal waits until the sink has received n messages.
func (s *sink) waitTotal(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		if total, _, _ := s.counts(); total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SMTP server received fewer than %d messages in 40 s", n)
		}
		time.Sleep(time.Millisecond)
	}
}
