package mailer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"time"
)

// Raw is a message ready for the wire: its envelope and its bytes, with
// CRLF line ends. Building the bytes once per recipient from fragments
// rendered once per language is far cheaper than composing a message
// field by field; the dialogue stays go-mail's.
type Raw struct {
	From, To string
	Data     []byte
}

// Servers close connections that stay idle (Postfix after 300 s by
// default, go-smtp after its ReadTimeout, providers sooner), saying 421
// to nobody. A connection idle for longer than idleCheck is probed with a
// NOOP, answered within probeTimeout, before it carries a message, so the
// message goes out at once on a new connection instead of failing.
const (
	idleCheck    = 2 * time.Second
	probeTimeout = 3 * time.Second
)

// SendRaw sends msgs in order over the connection and returns one Result
// per message; see SendInto.
func (c *Conn) SendRaw(ctx context.Context, msgs []Raw) []Result {
	results := make([]Result, len(msgs))
	c.SendInto(ctx, msgs, results)
	return results
}

// SendInto sends msgs in order over the connection, dialling when there is
// none, and sets results[i] as soon as message i's outcome is known; see
// SendEach. len(results) must be len(msgs).
func (c *Conn) SendInto(ctx context.Context, msgs []Raw, results []Result) {
	c.SendEach(ctx, len(msgs), func(i int) (Raw, error) { return msgs[i], nil }, results)
}

// SendEach sends n messages in order over the connection, dialling when
// there is none, asking msg for each just before it goes, so that a
// caller can build every message in the same buffer. A message msg fails
// to build is Failed with the error as its reply. results[i] is set as
// soon as message i's outcome is known: a caller recovering from a panic
// can tell which messages the server answered. Where the server offers
// PIPELINING, MAIL, RCPT and DATA go in one write (RFC 2920): one round
// trip per message instead of four.
//
// A connection that breaks is replaced for the next message. A message
// that cannot have been accepted when the connection broke (its final dot
// never went out) is sent once more at once on a new connection; one
// whose final dot went out is deferred, never sent twice at once. When
// the server cannot be reached, or fails again on a new connection, the
// messages left are deferred without trying. Messages not started, or not
// started again, when ctx ends are Unsent. len(results) must be n.
func (c *Conn) SendEach(ctx context.Context, n int, msg func(i int) (Raw, error), results []Result) {
	var down string // why the server is failing, once it is
	for i := range n {
		if ctx.Err() != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: shutting down or past its deadline"}
			continue
		}
		if down != "" {
			results[i] = Result{Status: Deferred, Reply: "not attempted: " + down}
			continue
		}
		m, err := msg(i)
		if err != nil {
			results[i] = Result{Status: Failed, Reply: err.Error()}
			continue
		}
		start := time.Now()
		r, failing := c.send(ctx, m)
		results[i] = r
		if failing {
			down = r.Reply
		}
		if r.Status != Unsent && c.pool.Observe != nil {
			c.pool.Observe(r.Status, time.Since(start))
		}
	}
}

// send sends one message, once more on a new connection if the first one
// turned out dead before the message could have been accepted. failing
// reports a server that cannot be reached or failed twice in a row.
func (c *Conn) send(ctx context.Context, m Raw) (r Result, failing bool) {
	for try := 0; ; try++ {
		// Nothing of a message that goes again can have been accepted:
		// when the time is up, it goes back to the queue as it was. The
		// deadline's own timer may not have fired yet on a busy machine:
		// a message past it must not start (an embargoed notice a second
		// before the lift is the case).
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return Result{Status: Unsent, Reply: "not attempted: " + context.DeadlineExceeded.Error()}, false
		}
		if err := c.pool.limiter.Wait(ctx); err != nil {
			return Result{Status: Unsent, Reply: "not attempted: " + err.Error()}, false
		}
		if err := c.ready(ctx); err != nil {
			return dialResult(c.pool.Target, err), true
		}
		var lost *lostConn
		r, lost = c.transact(m)
		if lost == nil {
			c.lastUsed = time.Now()
			return r, false
		}
		c.Close()
		if !lost.retry {
			return r, false
		}
		if try > 0 {
			return r, true
		}
		if ctx.Err() != nil {
			return Result{Status: Unsent, Reply: "not sent again: " + ctx.Err().Error()}, false
		}
	}
}

// ready makes sure there is a connection worth using, probing one that
// has been idle.
func (c *Conn) ready(ctx context.Context) error {
	if c.sc != nil && time.Since(c.lastUsed) > idleCheck && !c.alive() {
		c.Close()
	}
	if c.sc != nil {
		return nil
	}
	return c.dial(ctx)
}

// alive sends a NOOP: a server that closed the connection meanwhile
// answers with what it said on leaving (its 421), or not at all.
func (c *Conn) alive() bool {
	if err := c.sc.UpdateDeadline(min(c.pool.timeout(), probeTimeout)); err != nil {
		return false
	}
	if err := c.sc.Noop(); err != nil {
		return false
	}
	c.lastUsed = time.Now()
	return true
}

func (c *Conn) dial(ctx context.Context) error {
	if c.client == nil {
		if err := c.newClient(); err != nil {
			return err
		}
	}
	sc, err := c.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		c.Close()
		return err
	}
	// The connection's writer buffers 4 KiB, so a message of 6 or 7 KiB
	// went out in two writes besides its envelope's. A buffer that holds a
	// usual message whole sends it in one; a longer one still streams.
	sc.Text.W = bufio.NewWriterSize(flushThrough{sc.Text.W}, messageBuffer)
	c.sc = sc
	c.pipelining, _ = sc.Extension("PIPELINING")
	c.utf8, _ = sc.Extension("SMTPUTF8")
	c.lastUsed = time.Now()
	return nil
}

// messageBuffer is how much of a message one write to the server carries.
const messageBuffer = 32 << 10

// flushThrough writes to the connection's own buffered writer and flushes
// it at once, so that what the larger buffer above it hands over goes out
// in one write, and nothing waits in the smaller one.
type flushThrough struct{ w *bufio.Writer }

func (f flushThrough) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err != nil {
		return n, err
	}
	return n, f.w.Flush()
}

// dialResult defers a message for a connection that could not be opened,
// with the server's reply when it gave one (a 421 greeting, a refused
// STARTTLS).
func dialResult(t Target, err error) Result {
	where := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return Result{Status: Deferred, Code: tpe.Code, Enhanced: enhancedOf(tpe.Msg),
			Reply: truncate(fmt.Sprintf("%d %s (connecting to %s)", tpe.Code, tpe.Msg, where))}
	}
	return Result{Status: Deferred, Reply: truncate(fmt.Sprintf("connect to %s: %v", where, err))}
}
