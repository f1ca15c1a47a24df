package mailbox

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
)

// listener remembers the connections it accepted so that Close can drop
// them: go-smtp's own Close misses a connection accepted but not yet
// registered, and its Shutdown waits for clients to hang up.
type listener struct {
	net.Listener
	logger *slog.Logger

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

func newListener(l net.Listener, logger *slog.Logger) *listener {
	return &listener{Listener: l, logger: logger, conns: make(map[*conn]struct{})}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	tc := &conn{Conn: c, l: l}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// Close closes the listener and every connection it accepted. Later calls
// do nothing.
func (l *listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()

	err := l.Listener.Close()
	for _, c := range conns {
		c.Close()
	}
	return err
}

// conn forgets itself in its listener when closed.
type conn struct {
	net.Conn
	l    *listener
	once sync.Once
	err  error
}

// Read notes when a client has been idle too long: go-smtp then answers
// 421 and hangs up without a word in any log, and a client that kept the
// connection open meets the 421 with its next message.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.l.logger.Info("mailbox: closing an idle connection", "client", c.RemoteAddr().String())
	}
	return n, err
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.err = c.Conn.Close()
	})
	return c.err
}
