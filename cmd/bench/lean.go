package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// leanServer is a discarding SMTP server that answers as a pipelining
// MTA such as Postfix does: replies wait in a buffer while the client's
// next commands are already there, and go out in one write when the
// input runs dry. go-smtp writes every reply on its own and reads a
// message byte by byte, so that, on a machine shared with the product,
// the sink costs more CPU than the dispatcher; this one costs a fraction.
type leanServer struct {
	l        net.Listener
	received func()
	// ids makes the sink name each message it accepts with a queue id,
	// as Postfix does ("250 2.0.0 Ok: queued as 4Xk3Lq1vQpz9"): the
	// dispatcher then records one per delivery, as behind a real relay.
	ids    bool
	queued atomic.Uint64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

func startLean(received func(), ids bool) (*leanServer, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s := &leanServer{l: l, received: received, ids: ids, conns: map[net.Conn]struct{}{}}
	go s.serve()
	return s, l.Addr().String(), nil
}

func (s *leanServer) serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go func() {
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *leanServer) close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.l.Close()
}

var (
	leanEHLO = []byte("250-localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE\r\n")
	leanOK   = []byte("250 2.0.0 OK\r\n")
	leanData = []byte("354 Go ahead. End your data with <CR><LF>.<CR><LF>\r\n")
	leanBye  = []byte("221 2.0.0 Bye\r\n")
	leanBad  = []byte("502 5.5.2 Command not implemented\r\n")
	leanQd   = []byte("250 2.0.0 OK: queued\r\n")
)

// handle serves one connection until it ends or says QUIT.
func (s *leanServer) handle(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 4<<10)
	reply := func(b []byte) error {
		w.Write(b)
		if r.Buffered() > 0 {
			return nil // more commands wait: answer them together
		}
		return w.Flush()
	}
	if err := reply([]byte("220 localhost ESMTP bench sink\r\n")); err != nil {
		return
	}
	var queuedAs []byte
	accepted := func() []byte {
		if !s.ids {
			return leanQd
		}
		queuedAs = append(queuedAs[:0], "250 2.0.0 Ok: queued as 4Xk"...)
		queuedAs = strconv.AppendUint(queuedAs, 1<<40+s.queued.Add(1), 36)
		return append(queuedAs, "\r\n"...)
	}
	for {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := line
		if i := bytes.IndexAny(line, " \r\n"); i >= 0 {
			verb = line[:i]
		}
		switch string(bytes.ToUpper(verb)) {
		case "EHLO", "HELO":
			err = reply(leanEHLO)
		case "MAIL", "RCPT", "RSET", "NOOP":
			err = reply(leanOK)
		case "DATA":
			if err = reply(leanData); err == nil {
				if err = discardData(r); err == nil {
					s.received()
					err = reply(accepted())
				}
			}
		case "QUIT":
			w.Write(leanBye)
			w.Flush()
			return
		default:
			err = reply(leanBad)
		}
		if err != nil {
			return
		}
	}
}

// discardData reads a message up to its line holding a single dot.
func discardData(r *bufio.Reader) error {
	atStart := true
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if atStart && len(line) == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n' {
			return nil
		}
		atStart = err == nil // a line longer than the buffer goes on
	}
}
