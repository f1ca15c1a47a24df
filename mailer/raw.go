package mailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// Raw is a message ready for the wire: its envelope and its bytes, with
// CRLF line ends. Building the bytes once per recipient from fragments
// rendered once per language is far cheaper than composing a message
// field by field; the dialogue stays go-mail's.
type Raw struct {
	From, To string
	Data     []byte
}

// SendRaw sends msgs in order over the connection, dialling first if
// needed, and returns one Result per message. Where the server offers
// PIPELINING, MAIL, RCPT and DATA go in one write (RFC 2920): one round
// trip per message instead of four. Like Send, it closes a connection
// that breaks and reports the messages after the break as Unsent.
func (c *Conn) SendRaw(ctx context.Context, msgs []Raw) []Result {
	results := make([]Result, len(msgs))
	if c.sc == nil {
		if err := c.dialRaw(ctx); err != nil {
			for i := range results {
				results[i] = Result{Status: Deferred, Reply: err.Error()}
			}
			return results
		}
	}
	broken := false
	for i, m := range msgs {
		if broken || ctx.Err() != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: connection lost or shutting down"}
			continue
		}
		if err := c.pool.limiter.Wait(ctx); err != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: " + err.Error()}
			continue
		}
		// go-mail sets the connection's deadline when it dials; each
		// message gets the timeout afresh, or a busy connection would die
		// of old age mid-release.
		if err := c.sc.UpdateDeadline(c.pool.timeout()); err != nil {
			results[i] = Result{Status: Unsent, Reply: "not attempted: " + err.Error()}
			broken = true
			continue
		}
		start := time.Now()
		results[i] = c.sendRaw(m)
		if c.pool.Observe != nil {
			c.pool.Observe(results[i].Status, time.Since(start))
		}
		if results[i].Code == 0 && results[i].Status != Sent {
			broken = true
		}
	}
	if broken {
		c.Close()
	}
	return results
}

func (c *Conn) dialRaw(ctx context.Context) error {
	if c.client == nil {
		if err := c.newClient(); err != nil {
			return err
		}
	}
	sc, err := c.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.pool.Target, err)
	}
	c.sc = sc
	c.pipelining, _ = sc.Extension("PIPELINING")
	c.utf8, _ = sc.Extension("SMTPUTF8")
	return nil
}

func (c *Conn) sendRaw(m Raw) Result {
	if strings.ContainsAny(m.From+m.To, "\r\n<>") {
		return Result{Status: Failed, Reply: "envelope address contains a forbidden character"}
	}
	mailCmd := "MAIL FROM:<" + m.From + ">"
	if c.utf8 && !isASCII(m.From+m.To) {
		mailCmd += " SMTPUTF8"
	}
	rcptCmd := "RCPT TO:<" + m.To + ">"
	t := c.sc.Text
	if c.pipelining {
		if err := t.PrintfLine("%s\r\n%s\r\nDATA", mailCmd, rcptCmd); err != nil {
			return connResult(err)
		}
		// Read all three answers: the server sends them whatever happened.
		_, _, mailErr := t.ReadResponse(250)
		_, _, rcptErr := t.ReadResponse(25)
		_, _, dataErr := t.ReadResponse(354)
		if err := firstErr(mailErr, rcptErr, dataErr); err != nil {
			if dataErr == nil {
				// DATA was accepted although an earlier command failed:
				// end the empty message so the dialogue stays in step.
				t.PrintfLine(".")
				t.ReadResponse(250)
			}
			return c.refused(err)
		}
	} else {
		for _, step := range []struct {
			cmd  string
			code int
		}{{mailCmd, 250}, {rcptCmd, 25}, {"DATA", 354}} {
			id, err := t.Cmd("%s", step.cmd)
			if err != nil {
				return connResult(err)
			}
			t.StartResponse(id)
			_, _, err = t.ReadResponse(step.code)
			t.EndResponse(id)
			if err != nil {
				return c.refused(err)
			}
		}
	}
	if err := writeDotStuffed(t, m.Data); err != nil {
		return connResult(err)
	}
	_, reply, err := t.ReadResponse(250)
	if err != nil {
		return c.refused(err)
	}
	return Result{Status: Sent, Code: 250, Reply: strings.TrimSpace(reply)}
}

// refused turns an SMTP error reply into a Result, resetting the
// transaction so the next message starts clean.
func (c *Conn) refused(err error) Result {
	var tpe *textproto.Error
	if !errors.As(err, &tpe) {
		return connResult(err)
	}
	if err := c.sc.Reset(); err != nil {
		c.Close()
	}
	enhanced := ""
	if f := strings.Fields(tpe.Msg); len(f) > 0 && isEnhanced(f[0]) {
		enhanced = f[0]
	}
	reply := fmt.Sprintf("%d %s", tpe.Code, tpe.Msg)
	if len(reply) > 500 {
		reply = reply[:500]
	}
	return Result{Status: classify(tpe.Code, enhanced), Code: tpe.Code, Enhanced: enhanced, Reply: reply}
}

func connResult(err error) Result {
	return Result{Status: Deferred, Reply: fmt.Sprint(err)}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// writeDotStuffed writes data as the body of DATA: a line starting with
// "." gets another, and the message ends with CRLF "." CRLF.
func writeDotStuffed(t *textproto.Conn, data []byte) error {
	w := t.W
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
	w.WriteString(".\r\n")
	return w.Flush()
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
