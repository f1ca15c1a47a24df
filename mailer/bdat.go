package mailer

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"
)

// MaxWindow bounds a target's window: past a few dozen messages a
// connection gains nothing, even far from its relay, and a broken one
// would leave more messages unsettled.
const MaxWindow = 64

// Buffers is how many messages a caller of SendEach on the pool's
// connections must be able to keep whole at once: see SendEach.
func (p *Pool) Buffers() int { return max(2, p.Target.Window) }

// flight is a message on the wire.
type flight struct {
	i     int
	m     Raw
	start time.Time
	tries int // how many times it went before, on connections lost since
	// err is why its content did not reach the connection whole: then
	// the server cannot have accepted it.
	err error
}

// sendChunked is SendEach over a connection that offers CHUNKING (RFC
// 3030) and PIPELINING, to a target whose window is more than one. With
// BDAT a message's content needs no go-ahead from the server, so nothing
// makes the client wait between messages: each goes as RSET, MAIL, RCPT
// and BDAT LAST with its content, in one write, up to the window of them
// before the first answers are read. To a relay 1 ms away, one connection
// then carries eleven times as many messages with a window of 16
// (BenchmarkWindow). The RSET ends
// whatever transaction a refusal left open: after a refused RCPT the
// server still holds the MAIL, and without it the next message's RCPT
// and content would join the refused message's transaction.
//
// What a broken connection leaves: a message the server answered keeps
// its answer. One it cannot have accepted (its content never went out
// whole, or the server said 421 before taking it) is sent once more at
// once on a new connection, as SendEach does with a message whose final
// dot never went. After a 421 the answers still to come are read, as a
// server may say it is leaving and go on; those that never come are taken
// as refused, the server having left. A message whose content went and
// whose answer never came, with no 421 before it, may have been
// delivered: it is deferred. Up to the window's messages can be left so
// by a server that hangs up without a word, or that says 421 and hangs up
// with messages unread: closing then, its system may discard the answers
// it wrote last, unsent (seen here with a server that takes a few
// messages per connection). That is why the window is the target's
// choice, for a relay that does not hang up so.
func (c *Conn) sendChunked(ctx context.Context, n int, msg func(i int) (Raw, error), results []Result) {
	window := c.pool.Target.Window
	var (
		down string   // why the server is failing, once it is
		win  []flight // on the wire, oldest first
		redo []flight // to send again at once, in order
		next int      // the first message not yet taken
		left bool     // the server said 421: it takes nothing more
		stop bool     // nothing more goes on this connection
	)
	settle := func(f flight, r Result) {
		results[f.i] = r
		if r.Status != Unsent && c.pool.Observe != nil {
			c.pool.Observe(r.Status, time.Since(f.start))
		}
	}
	// again sends f once more at once, or settles it with r when it went
	// once more already; the server is failing then.
	again := func(f flight, r Result) {
		if f.tries > 0 {
			settle(f, r)
			down = r.Reply
			return
		}
		f.tries++
		f.err = nil
		redo = append(redo, f)
	}
	// read reads the answers to the oldest message on the wire.
	read := func() {
		f := win[0]
		win = win[1:]
		var a answer
		if f.err != nil {
			// Only the newest can have failed to go: the connection broke
			// writing it, and every answer before it has been read.
			a = answer{r: writeFailed(f.err, "during BDAT", c.pool.timeout()), lost: true, retry: true}
		} else {
			a = c.answer()
		}
		// Nothing came for the message, after the server said it was
		// leaving: it took nothing.
		if left && a.lost && a.silent {
			a.retry = true
		}
		left = left || a.leaving
		stop = stop || a.leaving || a.suspect
		if a.retry {
			again(f, a.r)
		} else {
			settle(f, a.r)
		}
		if a.lost {
			c.Close()
			for _, g := range win {
				switch {
				case g.err != nil || left:
					again(g, a.r)
				default:
					settle(g, Result{Status: Deferred, Reply: truncate("connection lost before the server answered; it may have been delivered: " + a.r.Reply)})
				}
			}
			win, left, stop = win[:0], false, false
			return
		}
		c.lastUsed = time.Now()
		if stop && len(win) == 0 {
			c.Close()
			left, stop = false, false
		}
	}

	for {
		var f flight
		switch {
		case len(win) > 0 && (len(win) >= window || stop || len(redo) == 0 && next >= n):
			read()
			continue
		case len(redo) > 0:
			f, redo = redo[0], redo[1:]
			if ctx.Err() != nil {
				settle(f, Result{Status: Unsent, Reply: "not sent again: " + ctx.Err().Error()})
				continue
			}
		case next < n:
			f = flight{i: next}
			next++
			if ctx.Err() != nil {
				settle(f, Result{Status: Unsent, Reply: "not attempted: shutting down or past its deadline"})
				continue
			}
		default:
			return
		}
		if down != "" {
			settle(f, Result{Status: Deferred, Reply: "not attempted: " + down})
			continue
		}
		if f.tries == 0 {
			var err error
			if f.m, err = msg(f.i); err != nil {
				settle(f, Result{Status: Failed, Reply: err.Error()})
				continue
			}
			f.start = time.Now()
		}
		// Nothing of a message that goes again can have been accepted: when
		// the time is up, it goes back to the queue as it was.
		if pastDeadline(ctx) {
			settle(f, Result{Status: Unsent, Reply: "not attempted: " + context.DeadlineExceeded.Error()})
			continue
		}
		if len(win) > 0 && !c.pool.limiter.Now() {
			// The rate makes this message wait: the answers on the wire
			// are read first, or the server, seeing nothing more, could
			// take the connection for idle with them unread.
			for len(win) > 0 {
				read()
			}
			if down != "" {
				settle(f, Result{Status: Deferred, Reply: "not attempted: " + down})
				continue
			}
		}
		if len(win) == 0 {
			if err := c.pool.limiter.Wait(ctx); err != nil {
				settle(f, Result{Status: Unsent, Reply: "not attempted: " + err.Error()})
				continue
			}
			if err := c.ready(ctx); err != nil {
				r := dialResult(c.pool.Target, err)
				settle(f, r)
				down = r.Reply
				continue
			}
		}
		if !c.chunking || !c.pipelining {
			// A new connection, to a server that offers less.
			r, lost, _ := c.transact(f.m, false, nil)
			switch {
			case lost == nil:
				c.lastUsed = time.Now()
				settle(f, r)
			case lost.retry:
				c.Close()
				again(f, r)
			default:
				c.Close()
				settle(f, r)
			}
			continue
		}
		mailCmd, rcptCmd, bad := c.envelope(f.m)
		if bad != nil {
			settle(f, *bad)
			continue
		}
		f.err = c.writeChunk(mailCmd, rcptCmd, f.m.Data)
		win = append(win, f)
		if f.err != nil {
			// The connection is broken; what the server answered before
			// it broke is read, and the rest settled, before anything else.
			for len(win) > 0 {
				read()
			}
		}
	}
}

// writeChunk writes one message as RSET, MAIL, RCPT and BDAT LAST with its
// content. An error means some of it did not reach the connection: the
// server cannot have accepted the message.
func (c *Conn) writeChunk(mailCmd, rcptCmd string, data []byte) error {
	if err := c.sc.UpdateDeadline(c.pool.timeout()); err != nil {
		return err
	}
	crlf := !bytes.HasSuffix(data, []byte("\r\n"))
	size := len(data)
	if crlf {
		size += 2
	}
	w := c.sc.Text.W
	w.WriteString("RSET\r\n")
	w.WriteString(mailCmd)
	w.WriteString("\r\n")
	w.WriteString(rcptCmd)
	w.WriteString("\r\nBDAT ")
	w.WriteString(strconv.Itoa(size))
	w.WriteString(" LAST\r\n")
	w.Write(data)
	if crlf {
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// answer is what the server said to one message sent with BDAT.
type answer struct {
	r Result
	// lost says no more answers will come on the connection; retry, that
	// the server cannot have accepted the message; leaving, that it said
	// 421, and will take nothing more; suspect, that it refused the RSET.
	// After either, nothing more goes on the connection. silent says no
	// answer came at all.
	lost, retry, leaving, suspect, silent bool
}

// The four commands of a message, and the answers they want.
var chunkSteps = [...]struct {
	name string
	code int
}{{"RSET", 250}, {"MAIL", 250}, {"RCPT", 25}, {"BDAT", 250}}

// answer reads the answers to RSET, MAIL, RCPT and BDAT of the oldest
// message on the wire. A server answers all four whatever happened,
// unless it hangs up: a refused MAIL or RCPT makes the BDAT fail too, its
// content read and dropped. A server that says 421 is read on, as it may
// not hang up at once.
func (c *Conn) answer() answer {
	timeout := c.pool.timeout()
	if err := c.sc.UpdateDeadline(timeout); err != nil {
		return answer{r: Result{Status: Deferred, Reply: "connection unusable: " + err.Error()}, lost: true, retry: true}
	}
	var (
		errs      [len(chunkSteps)]error
		reply     string
		refusal   error // the first refusal other than a 421 or the RSET's
		leaving   error // the first 421
		leavingAt int
		lostAt    = -1 // the step whose answer never came
	)
	for i, step := range chunkSteps {
		_, msg, err := c.sc.Text.ReadResponse(step.code)
		errs[i] = err
		switch {
		case isLost(err):
			lostAt = i
		case is421(err):
			if leaving == nil {
				leaving, leavingAt = err, i
			}
		case err != nil && i > 0 && refusal == nil && leaving == nil:
			// After a 421 the server refuses the rest as a consequence
			// (a BDAT with no recipient): the 421 is the verdict.
			refusal = err
		case err == nil:
			reply = msg
		}
		if lostAt >= 0 {
			break
		}
	}
	last := len(chunkSteps) - 1
	// A server that refuses RSET is in a state we cannot know.
	suspect := errs[0] != nil && !isLost(errs[0]) && !is421(errs[0])
	a := answer{lost: lostAt >= 0, leaving: leaving != nil, suspect: suspect, silent: lostAt == 0}
	switch {
	case lostAt < 0 && errs[last] == nil:
		reply = truncate(strings.TrimSpace(reply))
		a.r = Result{Status: Sent, Code: 250, Reply: reply, ProviderID: ProviderID(reply)}
	case refusal != nil:
		// Refused: the message keeps the verdict, whatever came after.
		a.r = c.refused(refusal, false)
		if suspect {
			// After a refused RSET, the refusal may be of our making.
			a.r.Status = Deferred
		}
	case leaving != nil && leavingAt < last:
		// Before taking the content the server said it was leaving: it
		// has not accepted the message.
		a.r, a.retry = c.refused(leaving, false), true
	case leaving != nil:
		// The server took the content and refused it.
		a.r = c.refused(leaving, false)
	case suspect:
		a.r = c.refused(errs[0], false)
		a.r.Status = Deferred
	default:
		a.r = readFailed(errs[lostAt], chunkSteps[lostAt].name, timeout, "; it may have been delivered")
	}
	return a
}
