// Package smtptest is an SMTP server for tests that misbehaves on purpose,
// the way real servers do: it answers 421 or hangs up at any step of the
// dialogue, stops answering or stops reading, slows down, limits the
// messages of a connection and closes idle connections. It is written on a
// bare listener because a well-behaved server library cannot do most of
// this (close in the middle of DATA, answer 421 after the final dot).
package smtptest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Step is a point of the dialogue where a Fault can strike.
type Step string

// The steps, in the order of a dialogue. Body is after the first line of
// a message has been read, before the rest; Dot is the reply to the final
// dot, once the whole message has been read.
const (
	Greeting Step = "greeting"
	EHLO     Step = "EHLO"
	StartTLS Step = "STARTTLS"
	MAIL     Step = "MAIL"
	RCPT     Step = "RCPT"
	DATA     Step = "DATA"
	Body     Step = "body"
	Dot      Step = "dot"
)

// At locates a step: which connection (from 1, in the order they were
// accepted) and which message on it (from 1, counted at MAIL; 0 before
// the first).
type At struct {
	Conn int
	Msg  int
	Step Step
}

// Fault is what the server does at a step instead of its usual reply. The
// fields combine: wait Delay, send Reply, then close, hang or stop
// reading.
type Fault struct {
	Delay time.Duration // wait before answering
	Reply string        // answer this instead, e.g. "421 4.3.2 going down"
	Close bool          // hang up after the reply, if any
	// Hang stops answering: the server reads and discards whatever comes
	// until the client hangs up.
	Hang bool
	// StopReading stops reading and answering: a client writing a large
	// message blocks once the socket buffers are full.
	StopReading bool
}

// Options configures a Server.
type Options struct {
	// Fault is asked at every step, from the connection's goroutine (so it
	// must be safe for concurrent use); nil or a nil *Fault means the usual
	// reply.
	Fault func(At) *Fault
	// IdleTimeout hangs up on a client that sent nothing for this long,
	// saying IdleReply first (default "421 4.4.2 idle timeout") unless
	// SilentIdle.
	IdleTimeout time.Duration
	IdleReply   string
	SilentIdle  bool
	// MaxPerConn is how many messages a connection may carry; the next
	// MAIL gets "421 4.7.0 too many messages on this connection" and the
	// connection is closed, as providers do. 0 means no limit.
	MaxPerConn int
	// What the server offers after EHLO besides ENHANCEDSTATUSCODES and
	// 8BITMIME. STARTTLS has no certificate behind it: the server refuses
	// it with a 454 unless a Fault says otherwise.
	NoPipelining bool
	// Chunking offers CHUNKING (RFC 3030): messages may come with BDAT.
	// There, a Fault at Body strikes once a BDAT command has been read,
	// before its chunk, and one at Dot replaces the answer to BDAT LAST,
	// once the chunk has been read.
	Chunking bool
	SMTPUTF8 bool
	StartTLS bool
	// DotReply, when set, is the reply to the final dot of an accepted
	// message, given its number on the server (from 1), as relays answer
	// with the id they queued it as ("250 2.0.0 Ok: queued as 4Xk3…");
	// default "250 2.0.0 queued".
	DotReply func(n int) string
}

// Message is a message the server accepted: it answered 250 to its final
// dot.
type Message struct {
	Conn int
	From string
	To   []string
	Data []byte // as the client meant it, dot-stuffing removed
	// Mail is the MAIL command's argument as sent, parameters included.
	Mail string
	// Followed says the client's next command had arrived with the final
	// dot: the client pipelined the next message behind this one.
	Followed bool
	// Chunked says the message came with BDAT.
	Chunked bool
}

// Server is a scriptable SMTP server on a loopback port.
type Server struct {
	opts Options
	ln   net.Listener
	wg   sync.WaitGroup
	done chan struct{}

	mu       sync.Mutex
	conns    int
	open     map[net.Conn]struct{}
	messages []Message
	commands []string
	closed   bool
}

// Start starts a server for the test and closes it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: opts, ln: ln, done: make(chan struct{}), open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Conns is the number of connections accepted so far.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Open is the number of connections neither side has closed yet, as far
// as the server knows: a connection the server hangs up on, or whose
// client hung up, no longer counts.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Messages returns the accepted messages in the order they were accepted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Commands returns every command received so far, as "connection verb"
// ("1 MAIL"), in order.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Count is the number of accepted messages.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// Close stops the server, hangs up on every client and waits for the
// connections' goroutines; it is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns++
		n := s.conns
		s.open[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.forget(c)
			(&session{s: s, c: c, r: bufio.NewReader(c), conn: n}).run()
		}()
	}
}

func (s *Server) forget(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
}

// accept records m and returns how many messages the server has taken.
func (s *Server) accept(m Message) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	return len(s.messages)
}

// errHangUp ends a session on purpose.
var errHangUp = errors.New("hang up")

// session is one connection's dialogue.
type session struct {
	s    *Server
	c    net.Conn
	r    *bufio.Reader
	conn int
	msg  int // messages begun (MAIL commands)
	sent int // messages accepted

	mail  string
	from  string
	to    []string
	chunk strings.Builder // what BDAT brought of the message so far
}

func (se *session) run() {
	if ok, err := se.answer(Greeting, "220 localhost ESMTP smtptest"); !ok || err != nil {
		return
	}
	for {
		line, err := se.readCommand()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		se.s.mu.Lock()
		se.s.commands = append(se.s.commands, fmt.Sprintf("%d %s", se.conn, verb))
		se.s.mu.Unlock()
		if err := se.command(verb, arg); err != nil {
			return
		}
	}
}

// readCommand reads a command line, hanging up on an idle client.
func (se *session) readCommand() (string, error) {
	o := se.s.opts
	if o.IdleTimeout > 0 {
		se.c.SetReadDeadline(time.Now().Add(o.IdleTimeout))
	}
	line, err := se.r.ReadString('\n')
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && !o.SilentIdle {
			reply := o.IdleReply
			if reply == "" {
				reply = "421 4.4.2 idle timeout"
			}
			se.write(reply)
		}
		return "", err
	}
	se.c.SetReadDeadline(time.Time{})
	return strings.TrimRight(line, "\r\n"), nil
}

// command answers one command; an error ends the session.
func (se *session) command(verb, arg string) error {
	o := se.s.opts
	switch verb {
	case "EHLO", "HELO":
		ext := []string{"250-localhost", "250-ENHANCEDSTATUSCODES", "250-8BITMIME"}
		if !o.NoPipelining {
			ext = append(ext, "250-PIPELINING")
		}
		if o.SMTPUTF8 {
			ext = append(ext, "250-SMTPUTF8")
		}
		if o.Chunking {
			ext = append(ext, "250-CHUNKING")
		}
		if o.StartTLS {
			ext = append(ext, "250-STARTTLS")
		}
		ext = append(ext, "250 HELP")
		_, err := se.answer(EHLO, strings.Join(ext, "\r\n"))
		return err
	case "STARTTLS":
		_, err := se.answer(StartTLS, "454 4.7.0 TLS not available")
		return err
	case "MAIL":
		if o.MaxPerConn > 0 && se.sent >= o.MaxPerConn {
			se.write("421 4.7.0 too many messages on this connection")
			return errHangUp
		}
		if se.mail != "" {
			// As real servers do: a refused RCPT leaves the transaction
			// open until RSET.
			return se.write("503 5.5.1 nested MAIL command")
		}
		se.msg++
		ok, err := se.answer(MAIL, "250 2.1.0 ok")
		if ok {
			se.mail, se.from, se.to = arg, envelopeAddress(arg), nil
		}
		return err
	case "RCPT":
		if se.mail == "" {
			return se.write("503 5.5.1 MAIL first")
		}
		ok, err := se.answer(RCPT, "250 2.1.5 ok")
		if ok {
			se.to = append(se.to, envelopeAddress(arg))
		}
		return err
	case "DATA":
		return se.data()
	case "BDAT":
		if o.Chunking {
			return se.bdat(arg)
		}
	case "RSET":
		se.mail, se.from, se.to = "", "", nil
		se.chunk.Reset()
		return se.write("250 2.0.0 ok")
	case "NOOP":
		return se.write("250 2.0.0 ok")
	case "QUIT":
		se.write("221 2.0.0 bye")
		return errHangUp
	}
	return se.write("502 5.5.2 command not recognized")
}

// data receives a message. A Fault at DATA replaces the 354; at Body it
// strikes after the message's first line; at Dot, it replaces the 250.
func (se *session) data() error {
	if se.mail == "" || len(se.to) == 0 {
		return se.write("503 5.5.1 need MAIL and RCPT first")
	}
	if ok, err := se.answer(DATA, "354 end with <CRLF>.<CRLF>"); !ok || err != nil {
		return err
	}
	var body strings.Builder
	first := true
	for {
		line, err := se.r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == ".\r\n" || line == ".\n" {
			break
		}
		body.WriteString(strings.TrimPrefix(line, "."))
		if first {
			first = false
			if f := se.fault(Body); f != nil {
				if err := se.apply(f); err != nil {
					return err
				}
			}
		}
	}
	return se.end([]byte(body.String()), false)
}

// end ends the transaction with the message's content, whole: a Fault at
// Dot strikes, or the message is accepted and answered.
func (se *session) end(data []byte, chunked bool) error {
	m := Message{Conn: se.conn, From: se.from, To: se.to, Data: data, Mail: se.mail,
		Followed: se.r.Buffered() > 0, Chunked: chunked}
	se.mail, se.from, se.to = "", "", nil
	if f := se.fault(Dot); f != nil {
		if err := se.apply(f); err != nil || f.Reply != "" {
			return err
		}
	}
	// Recorded before the reply leaves: once a client can see the 250,
	// the message is in.
	se.sent++
	n := se.s.accept(m)
	if se.s.opts.DotReply != nil {
		return se.write(se.s.opts.DotReply(n))
	}
	return se.write("250 2.0.0 queued")
}

// bdat receives a chunk of a message (RFC 3030). The chunk is read
// whatever the answer, as the command says how long it is.
func (se *session) bdat(arg string) error {
	f := strings.Fields(arg)
	size, err := -1, error(nil)
	if len(f) > 0 {
		size, err = strconv.Atoi(f[0])
	}
	if len(f) == 0 || len(f) > 2 || err != nil || size < 0 || len(f) == 2 && !strings.EqualFold(f[1], "LAST") {
		// The chunk's length is unknown: the dialogue cannot go on.
		se.write("501 5.5.4 bad BDAT arguments")
		return errHangUp
	}
	last := len(f) == 2
	if ft := se.fault(Body); ft != nil {
		if err := se.apply(ft); err != nil {
			return err
		}
	}
	chunk := make([]byte, size)
	if _, err := io.ReadFull(se.r, chunk); err != nil {
		return err
	}
	switch {
	case se.mail == "":
		return se.write("503 5.5.1 need MAIL first")
	case len(se.to) == 0:
		return se.write("554 5.5.1 no valid recipients")
	}
	se.chunk.Write(chunk)
	if !last {
		return se.write("250 2.0.0 chunk received")
	}
	data := []byte(se.chunk.String())
	se.chunk.Reset()
	return se.end(data, true)
}

// answer sends reply unless a Fault at step replaces it. ok reports that
// the usual reply went out; an error, that the session is over.
func (se *session) answer(step Step, reply string) (ok bool, err error) {
	if f := se.fault(step); f != nil {
		if err := se.apply(f); err != nil {
			return false, err
		}
		if f.Reply != "" {
			return false, nil
		}
	}
	return true, se.write(reply)
}

func (se *session) fault(step Step) *Fault {
	if se.s.opts.Fault == nil {
		return nil
	}
	return se.s.opts.Fault(At{Conn: se.conn, Msg: se.msg, Step: step})
}

// apply carries out f. It returns nil when the dialogue goes on (a delay
// alone, or a reply without a hang-up).
func (se *session) apply(f *Fault) error {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-se.s.done:
			return errHangUp
		}
	}
	if f.Reply != "" {
		if err := se.write(f.Reply); err != nil {
			return err
		}
	}
	switch {
	case f.StopReading:
		<-se.s.done
		return errHangUp
	case f.Hang:
		io.Copy(io.Discard, se.r)
		return errHangUp
	case f.Close:
		return errHangUp
	}
	return nil
}

func (se *session) write(reply string) error {
	_, err := fmt.Fprintf(se.c, "%s\r\n", reply)
	return err
}

// envelopeAddress takes the address out of "FROM:<a@b> SIZE=10".
func envelopeAddress(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest = strings.TrimSpace(rest)
	if i := strings.IndexByte(rest, '>'); strings.HasPrefix(rest, "<") && i > 0 {
		return rest[1:i]
	}
	addr, _, _ := strings.Cut(rest, " ")
	return addr
}
