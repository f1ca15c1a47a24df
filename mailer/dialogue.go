package mailer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// lostConn reports that the connection can no longer carry messages.
// retry says the message may be sent again at once on a new connection:
// it cannot have been accepted (its final dot never went out) and the
// server gave no verdict on it other than closing the connection.
type lostConn struct{ retry bool }

// transact sends one message over the open connection. sent says its
// envelope already went out, in the previous message's last write, and
// only the answers are left to read. ahead, when not nil, offers the next
// message's envelope: see content.
func (c *Conn) transact(m Raw, sent bool, ahead func() (mailCmd, rcptCmd string, ok bool)) (r Result, lost *lostConn, next bool) {
	var mailCmd, rcptCmd string
	if !sent { // one that went ahead was checked then
		var bad *Result
		if mailCmd, rcptCmd, bad = c.envelope(m); bad != nil {
			return *bad, nil, false
		}
	}
	timeout := c.pool.timeout()
	// go-mail sets the connection's deadline when it dials; each message
	// gets the timeout afresh, or a busy connection would die of old age
	// mid-release.
	if err := c.sc.UpdateDeadline(timeout); err != nil {
		return Result{Status: Deferred, Reply: "connection unusable: " + err.Error()}, &lostConn{retry: true}, false
	}
	t := c.sc.Text
	if c.pipelining {
		if !sent {
			if err := t.PrintfLine("%s\r\n%s\r\nDATA", mailCmd, rcptCmd); err != nil {
				return writeFailed(err, "while sending MAIL", timeout), &lostConn{retry: true}, false
			}
		}
		// Read all three answers: the server sends them whatever happened,
		// unless it hangs up.
		var errs [3]error
		for i, step := range []struct {
			name string
			code int
		}{{"MAIL", 250}, {"RCPT", 25}, {"DATA", 354}} {
			_, _, errs[i] = t.ReadResponse(step.code)
			if r, lost := c.dropped(errs[i], step.name, firstErr(errs[:i]...)); lost != nil {
				return r, lost, false
			}
		}
		if err := firstErr(errs[:]...); err != nil {
			if errs[2] == nil {
				// DATA was accepted although an earlier command failed:
				// end the empty message so the dialogue stays in step.
				t.PrintfLine(".")
				if _, _, err := t.ReadResponse(250); isLost(err) {
					return c.refused(firstErr(errs[:]...), false), &lostConn{}, false
				}
			}
			r, lost := c.refusedOrLost(err, false, true)
			return r, lost, false
		}
	} else {
		for _, step := range []struct {
			name, cmd string
			code      int
		}{{"MAIL", mailCmd, 250}, {"RCPT", rcptCmd, 25}, {"DATA", "DATA", 354}} {
			id, err := t.Cmd("%s", step.cmd)
			if err != nil {
				return writeFailed(err, "while sending "+step.name, timeout), &lostConn{retry: true}, false
			}
			t.StartResponse(id)
			_, _, err = t.ReadResponse(step.code)
			t.EndResponse(id)
			if r, lost := c.dropped(err, step.name, nil); lost != nil {
				return r, lost, false
			}
			if err != nil {
				r, lost := c.refusedOrLost(err, false, true)
				return r, lost, false
			}
		}
		ahead = nil
	}
	return c.content(m.Data, ahead)
}

// content sends a message's content once the server said 354. When ahead
// offers the next message's envelope, it goes out in the same write as
// the final dot, as RFC 2920 allows (message content may open a group):
// a message then costs one round trip instead of two, which is what
// limits a connection to a distant relay, and one write instead of two.
// next reports that the envelope went out and that the connection is
// still in step for its answers.
func (c *Conn) content(data []byte, ahead func() (mailCmd, rcptCmd string, ok bool)) (r Result, lost *lostConn, next bool) {
	timeout := c.pool.timeout()
	w := c.sc.Text.W
	if err := writeDotStuffed(w, data); err != nil {
		// The final dot never reached the connection.
		return writeFailed(err, "during DATA", timeout), &lostConn{retry: true}, false
	}
	dotEnd := c.out.done + int64(w.Buffered())
	if ahead != nil {
		if mailCmd, rcptCmd, ok := ahead(); ok {
			w.WriteString(mailCmd)
			w.WriteString("\r\n")
			w.WriteString(rcptCmd)
			w.WriteString("\r\nDATA\r\n")
			next = true
		}
	}
	if err := w.Flush(); err != nil {
		if c.out.done < dotEnd {
			// A failed write never handed the final dot to the network.
			return writeFailed(err, "during DATA", timeout), &lostConn{retry: true}, false
		}
		// The final dot went, and may have reached the server.
		return writeFailed(err, "after the end of the message; it may have been delivered", timeout), &lostConn{}, false
	}
	_, reply, err := c.sc.Text.ReadResponse(250)
	if isLost(err) {
		return readFailed(err, "the end of the message", timeout, "; it may have been delivered"), &lostConn{}, false
	}
	if err != nil {
		// The server ends the transaction of a message it refuses; the
		// reset sent for good measure otherwise would land among the
		// answers to the next envelope.
		r, lost := c.refusedOrLost(err, true, !next)
		return r, lost, next && lost == nil
	}
	reply = truncate(strings.TrimSpace(reply))
	return Result{Status: Sent, Code: 250, Reply: reply, ProviderID: ProviderID(reply)}, nil, next
}

// dropped reports a connection lost while waiting for the answer to step:
// no answer came, or a 421 said the server is leaving. verdict is an
// earlier refusal of the same message: the message keeps it, and is not
// sent again at once.
func (c *Conn) dropped(err error, step string, verdict error) (Result, *lostConn) {
	if err == nil || !isLost(err) && !is421(err) {
		return Result{}, nil
	}
	if verdict != nil {
		return c.refused(verdict, false), &lostConn{}
	}
	if is421(err) {
		return c.refused(err, false), &lostConn{retry: true}
	}
	return readFailed(err, step, c.pool.timeout(), ""), &lostConn{retry: true}
}

// refusedOrLost records a refusal, resetting the transaction when reset
// is set. A 421 means the server is closing the connection (RFC 5321
// section 3.8): the connection is dropped and, before the final dot, the
// message tried again at once on another.
func (c *Conn) refusedOrLost(err error, afterDot, reset bool) (Result, *lostConn) {
	if is421(err) {
		return c.refused(err, false), &lostConn{retry: !afterDot}
	}
	r := c.refused(err, reset)
	if c.sc == nil {
		return r, &lostConn{}
	}
	return r, nil
}

// refused turns an SMTP error reply into a Result, resetting the
// transaction when reset is set so the next message starts clean; a
// connection that cannot even do that is closed.
func (c *Conn) refused(err error, reset bool) Result {
	var tpe *textproto.Error
	if !errors.As(err, &tpe) {
		return Result{Status: Deferred, Reply: truncate(err.Error())}
	}
	if reset {
		if err := c.sc.Reset(); err != nil {
			c.Close()
		}
	}
	enhanced := enhancedOf(tpe.Msg)
	return Result{Status: classify(tpe.Code, enhanced), Code: tpe.Code, Enhanced: enhanced,
		Reply: truncate(fmt.Sprintf("%d %s", tpe.Code, tpe.Msg))}
}

// envelope builds the MAIL and RCPT commands. An address with a non-ASCII
// local part needs the server's SMTPUTF8 (RFC 6531); without it the
// message fails rather than go out mangled, since retrying will not make
// the relay grow the extension. A non-ASCII domain alone goes in its ASCII
// form (RFC 5890).
func (c *Conn) envelope(m Raw) (mailCmd, rcptCmd string, bad *Result) {
	if strings.ContainsAny(m.From+m.To, "\r\n<>") {
		return "", "", &Result{Status: Failed, Reply: "envelope address contains a forbidden character"}
	}
	from, to, param := m.From, m.To, ""
	if !isASCII(from) || !isASCII(to) {
		if c.utf8 {
			param = " SMTPUTF8"
		} else {
			var err error
			if from, err = asciiAddress(from); err == nil {
				to, err = asciiAddress(to)
			}
			if err != nil {
				return "", "", &Result{Status: Failed, Reply: err.Error()}
			}
		}
	}
	return "MAIL FROM:<" + from + ">" + param, "RCPT TO:<" + to + ">", nil
}

func asciiAddress(addr string) (string, error) {
	if isASCII(addr) {
		return addr, nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !isASCII(addr[:at]) {
		return "", errors.New("server does not offer SMTPUTF8, required for a non-ASCII address")
	}
	domain, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil {
		return "", fmt.Errorf("address %q: domain: %w", addr, err)
	}
	return addr[:at+1] + domain, nil
}

// writeDotStuffed writes data to w as the body of DATA: a line starting
// with "." gets another, and the message ends with CRLF "." CRLF. It
// does not flush: an error means the final dot never reached w's writer.
func writeDotStuffed(w *bufio.Writer, data []byte) error {
	atLineStart := true
	for len(data) > 0 {
		if atLineStart && data[0] == '.' {
			w.WriteByte('.')
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			w.Write(data)
			atLineStart = false
			break
		}
		w.Write(data[:i+1])
		data = data[i+1:]
		atLineStart = true
	}
	if !atLineStart {
		w.WriteString("\r\n")
	}
	// bufio's errors stick: this write fails if any before it did.
	_, err := w.WriteString(".\r\n")
	return err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// enhancedOf returns the RFC 3463 code a reply text starts with, or "".
func enhancedOf(msg string) string {
	if f := strings.Fields(msg); len(f) > 0 && isEnhanced(f[0]) {
		return f[0]
	}
	return ""
}

func isEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// truncate keeps a recorded reply to a sensible length.
func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
