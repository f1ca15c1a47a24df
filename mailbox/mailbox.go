// Package mailbox is an in-process SMTP server that keeps what it receives in
// memory. It is the capture mailbox of `communique dev`, browsable under
// /dev/mailbox, and the SMTP server end-to-end tests send to, with failures
// injected per recipient.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	ID        int       `json:"id"`   // 1-based, in arrival order
	From      string    `json:"from"` // envelope MAIL FROM
	To        []string  `json:"to"`   // envelope RCPT TO, accepted recipients only
	Received  time.Time `json:"received"`
	Subject   string    `json:"subject"`    // decoded (RFC 2047) Subject header
	MessageID string    `json:"message_id"` // Message-ID header without the angle brackets
	Data      []byte    `json:"-"`          // the raw message as received
}

// Options configures a Server.
type Options struct {
	// Limit keeps at most this many messages (oldest dropped); 0 means unlimited.
	Limit int
	// Reject, when set, is asked for each RCPT TO; a non-nil *smtp.SMTPError
	// is returned to the client for that recipient.
	Reject func(from, to string) *smtp.SMTPError
	// Logger receives errors from SMTP connections; nil discards them.
	Logger *slog.Logger
	// IdleTimeout is how long a connection may wait between commands
	// before the server says "421 4.4.2" and hangs up, as every real
	// server does; 0 means the five minutes RFC 5321 asks for. Tests
	// shorten it to make clients meet the closed connection.
	IdleTimeout time.Duration
	// NoSMTPUTF8 stops offering SMTPUTF8 (RFC 6531), like the many relays
	// that do not, so that clients can be seen to cope.
	NoSMTPUTF8 bool
}

// Server is an SMTP server on a TCP address, keeping received messages in
// memory. It accepts any client, with or without AUTH.
type Server struct {
	limit  int
	logger *slog.Logger
	// idle is the ReadTimeout the SMTP server gets, smtputf8 whether it
	// offers SMTPUTF8: the two options read when it starts.
	idle     time.Duration
	smtputf8 bool

	// mu guards the messages and the reject hook.
	mu       sync.Mutex
	reject   func(from, to string) *smtp.SMTPError
	messages []Message
	count    int
	arrived  chan struct{} // closed and replaced each time a message is kept

	// life guards starting and closing.
	life   sync.Mutex
	srv    *smtp.Server
	ln     *listener
	addr   string
	served chan struct{} // closed when the accept loop has returned
	closed bool
}

// New returns a Server that is not yet listening; see Start.
func New(opts Options) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	idle := opts.IdleTimeout
	if idle <= 0 {
		idle = readTimeout
	}
	return &Server{
		limit:    opts.Limit,
		logger:   logger,
		idle:     idle,
		smtputf8: !opts.NoSMTPUTF8,
		reject:   opts.Reject,
		arrived:  make(chan struct{}),
	}
}

// Start listens on addr ("127.0.0.1:0" for any port) and serves in the
// background. It returns the bound address.
func (s *Server) Start(addr string) (string, error) {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return "", errors.New("mailbox: start: server is closed")
	}
	if s.srv != nil {
		return "", fmt.Errorf("mailbox: start: already listening on %s", s.addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("mailbox: listen on %q: %w", addr, err)
	}
	s.ln = newListener(l, s.logger)
	s.srv = newSMTPServer(s)
	s.addr = l.Addr().String()
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		// Close closes the listener first, so the error that ends this
		// loop on shutdown is expected.
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.logger.Error("mailbox: smtp server stopped", "addr", s.addr, "error", err)
		}
	}()
	s.logger.Debug("mailbox: listening", "addr", s.addr)
	return s.addr, nil
}

// Addr returns the address the server listens on, or "" before Start.
func (s *Server) Addr() string {
	s.life.Lock()
	defer s.life.Unlock()
	return s.addr
}

// Close stops listening, drops open connections and waits for their
// goroutines to end. It is safe to call more than once. Kept messages stay
// readable.
func (s *Server) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.srv == nil {
		return nil
	}
	err := s.ln.Close()
	// Waiting for the accept loop before Shutdown means no connection can be
	// added while Shutdown waits for the open ones to finish.
	<-s.served
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if serr := s.srv.Shutdown(ctx); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("mailbox: close %s: %w", s.addr, err)
	}
	return nil
}

// Messages returns a copy of the kept messages, oldest first. The Data of
// each message is shared with the server and must not be modified.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		m.To = slices.Clone(m.To)
		out[i] = m
	}
	return out
}

// Count returns the number of messages accepted since the server was made.
// Neither Limit nor Reset lowers it.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Message returns the kept message with the given id. Its Data is shared
// with the server and must not be modified.
func (s *Server) Message(id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.messages) == 0 {
		return Message{}, false
	}
	// Kept messages have consecutive ids.
	i := id - s.messages[0].ID
	if i < 0 || i >= len(s.messages) {
		return Message{}, false
	}
	m := s.messages[i]
	m.To = slices.Clone(m.To)
	return m, true
}

// Reset drops the kept messages. Ids keep counting up and Count is
// unchanged, so a test that resets and then waits for n more messages
// waits for Count()+n.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
}

// Wait blocks until Count() >= n or ctx ends, in which case it returns
// ctx.Err().
func (s *Server) Wait(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		count, arrived := s.count, s.arrived
		s.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-arrived:
		}
	}
}

// SetReject replaces the Reject hook; nil accepts every recipient. It is safe
// to call while clients are connected: the next RCPT TO sees the new hook.
func (s *Server) SetReject(f func(from, to string) *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = f
}

func (s *Server) rejecter() func(from, to string) *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reject
}

// add keeps a received message, dropping the oldest beyond the limit, and
// wakes up waiters.
func (s *Server) add(from string, to []string, data []byte) {
	m := Message{
		From:     from,
		To:       to,
		Received: time.Now(),
		Data:     data,
	}
	m.Subject, m.MessageID = summarize(data)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	m.ID = s.count
	s.messages = append(s.messages, m)
	if s.limit > 0 && len(s.messages) > s.limit {
		s.messages = slices.Delete(s.messages, 0, len(s.messages)-s.limit)
	}
	close(s.arrived)
	s.arrived = make(chan struct{})
}
