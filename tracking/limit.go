package tracking

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// limitListener caps the connections one IP address holds at once and
// how long any connection lives: go-smtp's timeouts bound each wait, not
// a client that sends a byte just often enough.
type limitListener struct {
	net.Listener
	max  int
	life time.Duration
	log  *slog.Logger

	mu      sync.Mutex
	perHost map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		l.mu.Lock()
		over := l.perHost[host] >= l.max
		if !over {
			l.perHost[host]++
		}
		l.mu.Unlock()
		if over {
			l.log.Warn("bounce listener: too many connections", "client", host, "limit", l.max)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte("421 4.7.0 Too many connections from your address\r\n"))
			c.Close()
			continue
		}
		lc := &limitConn{Conn: c, l: l, host: host, closed: make(chan struct{})}
		go lc.expire(l.life)
		return lc, nil
	}
}

type limitConn struct {
	net.Conn
	l      *limitListener
	host   string
	once   sync.Once
	closed chan struct{}
}

// expire closes the connection once it has lived for life.
func (c *limitConn) expire(life time.Duration) {
	t := time.NewTimer(life)
	defer t.Stop()
	select {
	case <-t.C:
		c.Close()
	case <-c.closed:
	}
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		close(c.closed)
		c.l.mu.Lock()
		if c.l.perHost[c.host]--; c.l.perHost[c.host] <= 0 {
			delete(c.l.perHost, c.host)
		}
		c.l.mu.Unlock()
	})
	return err
}
