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
// caller can build every message in Pool.Buffers() buffers taken in
// turn, B of them: message i is asked for while messages i-B+1 to i-1 may
// still need their bytes (to go again on a new connection), never while
// message i-B does. A message msg fails to build is Failed with the error
// as its reply. results[i] is set as soon as message i's outcome is
// known: a caller recovering from a panic can tell which messages the
// server answered (up to the target's window of others may be on the
// wire unanswered).
//
// Where the target's window is more than one and the server offers
// CHUNKING and PIPELINING, messages go with BDAT, up to the window of them
// unanswered: see sendChunked. Otherwise, where the server offers
// PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write, with the
// previous message's final dot when the next message may start at once:
// one round trip per message instead of four.
//
// A connection that breaks is replaced for the next message. A message
// that cannot have been accepted when the connection broke (its final dot
// never went out) is sent once more at once on a new connection; one
// whose final dot went out is deferred, never sent twice at once. When
// the server cannot be reached, or fails again on a new connection, the
// messages left are deferred without trying. Messages not started, or not
// started again, when ctx ends are Unsent. len(results) must be n.
func (c *Conn) SendEach(ctx context.Context, n int, msg func(i int) (Raw, error), results []Result) {
	if c.pool.Target.Window > 1 && n > 0 && c.sc == nil && ctx.Err() == nil && !pastDeadline(ctx) {
		// How the messages go depends on what the server offers.
		if err := c.ready(ctx); err != nil {
			r := dialResult(c.pool.Target, err)
			for i := range n {
				results[i] = Result{Status: Deferred, Reply: "not attempted: " + r.Reply}
			}
			results[0] = r
			if c.pool.Observe != nil {
				for range n {
					c.pool.Observe(Deferred, 0)
				}
			}
			return
		}
	}
	if c.pool.Target.Window > 1 && c.sc != nil && c.chunking && c.pipelining {
		c.sendChunked(ctx, n, msg, results)
		return
	}
	var down string // why the server is failing, once it is
	// next is message i+1 when it was built while message i went: it may
	// have started already, its envelope sent with message i's final dot.
	var next struct {
		m       Raw
		err     error
		built   bool
		started bool
		at      time.Time
	}
	var i int
	// ahead offers message i+1's envelope to go with message i's final
	// dot. Built now, the message is kept for its turn even when it cannot
	// start yet.
	ahead := func() (string, string, bool) {
		if i+1 >= n || ctx.Err() != nil || pastDeadline(ctx) {
			return "", "", false
		}
		if !next.built { // not again when message i goes again
			next.m, next.err = msg(i + 1)
			next.built = true
		}
		if next.err != nil {
			return "", "", false
		}
		mailCmd, rcptCmd, bad := c.envelope(next.m)
		if bad != nil || !c.pool.limiter.Now() {
			return "", "", false
		}
		next.at = time.Now()
		return mailCmd, rcptCmd, true
	}
	for i = 0; i < n; i++ {
		m, err, started, start := next.m, next.err, next.started, next.at
		built := next.built
		next.built, next.started = false, false
		// A message whose envelope is out has started: it goes on whatever
		// happens to ctx, as a message does once it has begun.
		if !started {
			if ctx.Err() != nil {
				results[i] = Result{Status: Unsent, Reply: "not attempted: shutting down or past its deadline"}
				continue
			}
			if down != "" {
				results[i] = Result{Status: Deferred, Reply: "not attempted: " + down}
				continue
			}
			if !built {
				m, err = msg(i)
			}
			if err != nil {
				results[i] = Result{Status: Failed, Reply: err.Error()}
				continue
			}
			start = time.Now()
		}
		r, failing, nextStarted := c.send(ctx, m, started, ahead)
		next.started = nextStarted
		results[i] = r
		if failing {
			down = r.Reply
		}
		if r.Status != Unsent && c.pool.Observe != nil {
			c.pool.Observe(r.Status, time.Since(start))
		}
	}
}

// pastDeadline reports ctx's deadline passed. The deadline's own timer
// may not have fired yet on a busy machine: a message past it must not
// start (an embargoed notice a second before the lift is the case).
func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// send sends one message, once more on a new connection if the first one
// turned out dead before the message could have been accepted. started
// says its envelope already went out on the connection, and its start
// was counted by the limiter. failing reports a server that cannot be
// reached or failed twice in a row. nextStarted reports that the next
// message, given by ahead, started on the connection as this one ended.
func (c *Conn) send(ctx context.Context, m Raw, started bool, ahead func() (string, string, bool)) (r Result, failing, nextStarted bool) {
	for try := 0; ; try++ {
		if !started {
			// Nothing of a message that goes again can have been accepted:
			// when the time is up, it goes back to the queue as it was.
			if pastDeadline(ctx) {
				return Result{Status: Unsent, Reply: "not attempted: " + context.DeadlineExceeded.Error()}, false, false
			}
			if err := c.pool.limiter.Wait(ctx); err != nil {
				return Result{Status: Unsent, Reply: "not attempted: " + err.Error()}, false, false
			}
			if err := c.ready(ctx); err != nil {
				return dialResult(c.pool.Target, err), true, false
			}
		}
		var lost *lostConn
		r, lost, nextStarted = c.transact(m, started, ahead)
		started = false
		if lost == nil {
			c.lastUsed = time.Now()
			return r, false, nextStarted
		}
		c.Close()
		if !lost.retry {
			return r, false, false
		}
		if try > 0 {
			return r, true, false
		}
		if ctx.Err() != nil {
			return Result{Status: Unsent, Reply: "not sent again: " + ctx.Err().Error()}, false, false
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
	c.out = &flushThrough{w: sc.Text.W}
	sc.Text.W = bufio.NewWriterSize(c.out, messageBuffer)
	c.sc = sc
	c.pipelining, _ = sc.Extension("PIPELINING")
	c.chunking, _ = sc.Extension("CHUNKING")
	c.utf8, _ = sc.Extension("SMTPUTF8")
	c.lastUsed = time.Now()
	return nil
}

// messageBuffer is how much of a message one write to the server carries.
const messageBuffer = 32 << 10

// flushThrough writes to the connection's own buffered writer and flushes
// it at once, so that what the larger buffer above it hands over goes out
// in one write, and nothing waits in the smaller one. done counts the
// bytes it handed on to the connection: after a failed write, it tells
// whether a message's final dot went before the failure.
type flushThrough struct {
	w    *bufio.Writer
	done int64
}

func (f *flushThrough) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	// What the small buffer still holds did not go: before this write it
	// was empty, as every write before this one succeeded.
	f.done += int64(n - f.w.Buffered())
	return n, err
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
