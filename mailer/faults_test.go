package mailer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailer/smtptest"
)

// faultTimeout is the pool's timeout in the fault tests: short, so that a
// server that stops answering costs little time. Messages of megabytes,
// which it takes to fill the socket buffers of a server that stops
// reading, get bigTimeout, enough to carry them with the race detector on.
const (
	faultTimeout = 500 * time.Millisecond
	bigTimeout   = 3 * time.Second
)

// on strikes with f at one step of one connection's message.
func on(conn, msg int, step smtptest.Step, f smtptest.Fault) func(smtptest.At) *smtptest.Fault {
	return func(a smtptest.At) *smtptest.Fault {
		if a.Conn == conn && a.Step == step && (msg == 0 || a.Msg == msg) {
			return &f
		}
		return nil
	}
}

// always strikes with f at step on every connection.
func always(step smtptest.Step, f smtptest.Fault) func(smtptest.At) *smtptest.Fault {
	return func(a smtptest.At) *smtptest.Fault {
		if a.Step == step {
			return &f
		}
		return nil
	}
}

func rawMessage(i, size int) mailer.Raw {
	data := []byte(fmt.Sprintf("Subject: m%d\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody\r\n", i, i))
	if size > 0 {
		// Long lines, as base64 and quoted-printable never write, keep
		// the per-line work of megabytes small.
		line := []byte(strings.Repeat("0123456789", 99) + "\r\n")
		data = append(data, bytes.Repeat(line, size/len(line))...)
	}
	return mailer.Raw{From: fmt.Sprintf("bounce+%d@example.org", i), To: fmt.Sprintf("m%d@example.com", i), Data: data}
}

// want is the expected outcome of one message.
type want struct {
	status string
	code   int
	reply  string // a part of the recorded reply, if given
}

var sent = want{status: mailer.Sent, code: 250}

// maybe is a message on the wire when a connection broke without a word:
// sent at once on a new connection if its content had not all gone,
// deferred as perhaps delivered if it had. Which depends on how far the
// client got writing before the server hung up.
var maybe = want{status: "maybe"}

// mayHaveBeen is what the reply of a message perhaps delivered says.
const mayHaveBeen = "may have been delivered"

// perhaps is a message deferred as perhaps delivered, with reply: the
// server may indeed have it, once.
func perhaps(reply string) want {
	return want{status: perhapsDelivered, reply: reply + "; it " + mayHaveBeen}
}

const perhapsDelivered = "deferred, perhaps delivered"

// faultCase is one fault and what it must lead to.
type faultCase struct {
	name     string
	opts     smtptest.Options
	tls      string
	query    string        // added to the target's URL
	size     int           // body size of message 2 (and 1 with every)
	every    bool          // the fault strikes every connection
	idle     time.Duration // pause between the two calls
	want     []want        // messages 1 to 4
	conns    int           // connections the server accepts
	connsMax int           // at most, when it may be more than conns
	slow     bool          // the second call may take the timeout twice
	holds    bool          // the server holds its side open until it stops
}

// commonFaultCases are the faults that come to the same with DATA and
// with BDAT. big and bigger are the sizes of TestSendRawFaults.
func commonFaultCases(big, bigger int) []faultCase {
	return []faultCase{{
		// go-smtp answers a 421 its backend returns and reads on.
		name:  "421 after RCPT, connection kept",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Reply: "421 4.3.0 try later"})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {

		name:  "421 at greeting",
		opts:  smtptest.Options{Fault: on(1, 0, smtptest.Greeting, smtptest.Fault{Reply: "421 4.3.2 too busy", Close: true})},
		want:  []want{{mailer.Deferred, 421, "421 4.3.2 too busy"}, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 after MAIL",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.MAIL, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 after RCPT",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 after the end of the message",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, {mailer.Deferred, 421, "421 4.3.0 going down"}, sent, sent},
		conns: 2,
	}, {
		name:  "closed while idle, with a 421",
		opts:  smtptest.Options{IdleTimeout: 300 * time.Millisecond},
		idle:  2500 * time.Millisecond,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "closed while idle, without a word",
		opts:  smtptest.Options{IdleTimeout: 300 * time.Millisecond, SilentIdle: true},
		idle:  2500 * time.Millisecond,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 at the third message's MAIL",
		opts:  smtptest.Options{Fault: on(1, 3, smtptest.MAIL, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "closed in the middle of a message too big to have gone whole",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Body, smtptest.Fault{Close: true})},
		size:  bigger,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "write timeout in the middle of a message",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Body, smtptest.Fault{StopReading: true})},
		size:  bigger,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
		slow:  true,
		holds: true,
	}, {
		name:  "two messages per connection, then 421",
		opts:  smtptest.Options{MaxPerConn: 2},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "452 too many recipients",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Reply: "452 4.5.3 too many recipients"})},
		want:  []want{sent, {mailer.Deferred, 452, "452 4.5.3 too many recipients"}, sent, sent},
		conns: 1,
	}, {
		name:  "every answer slower than the timeout",
		opts:  smtptest.Options{Fault: func(a smtptest.At) *smtptest.Fault { return &smtptest.Fault{Delay: 3 * faultTimeout} }},
		want:  []want{{mailer.Deferred, 0, "timeout"}, {mailer.Deferred, 0, "timeout"}, {mailer.Deferred, 0, "not attempted"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 2,
		slow:  true,
	}}
}

// Every fault a real SMTP server produces, each striking a kept-open
// connection (or the first one, for faults of the connection's start):
// nothing panics, a message the server cannot have accepted is sent at
// once on a new connection, one it may have accepted is deferred and
// never sent twice, the recorded reply says what happened, the broken
// connection is replaced, and the messages after it leave at once.
//
// With DATA, as a server that does not offer CHUNKING is sent to.
func TestSendRawFaults(t *testing.T) {
	// Messages big enough that a connection cannot have carried them
	// whole before the server hung up, or stopped reading: bigger is
	// well over the 4 MiB a loopback socket's send buffer grows to plus
	// the 128 KiB a fresh connection's receive buffer starts with. big is
	// about that much, and went whole now and then with BDAT; the cases
	// shared with BDAT use bigger.
	big, bigger := 4<<20, 8<<20
	cases := []faultCase{{
		name:  "421 after EHLO",
		opts:  smtptest.Options{Fault: on(1, 0, smtptest.EHLO, smtptest.Fault{Reply: "421 4.3.2 shutting down", Close: true})},
		want:  []want{{mailer.Deferred, 421, "421 4.3.2 shutting down"}, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 after DATA",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.DATA, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "421 after the final dot, connection kept",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Reply: "421 4.3.0 going down"})},
		want:  []want{sent, {mailer.Deferred, 421, "421 4.3.0 going down"}, sent, sent},
		conns: 2,
	}, {
		name:  "closed while idle for less than the idle check",
		opts:  smtptest.Options{IdleTimeout: 100 * time.Millisecond},
		idle:  400 * time.Millisecond,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "closed between messages",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.MAIL, smtptest.Fault{Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "closed at a MAIL that came with the final dot",
		opts:  smtptest.Options{Fault: on(1, 3, smtptest.MAIL, smtptest.Fault{Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "550 at a RCPT that came with the final dot",
		opts:  smtptest.Options{Fault: on(1, 3, smtptest.RCPT, smtptest.Fault{Reply: "550 5.1.1 no such user"})},
		want:  []want{sent, sent, {mailer.Bounced, 550, "550 5.1.1 no such user"}, sent},
		conns: 1,
	}, {
		name:  "closed in the middle of a message small enough to have been sent whole",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Body, smtptest.Fault{Close: true})},
		want:  []want{sent, {mailer.Deferred, 0, "connection closed by server before it answered the end of the message; it may have been delivered"}, sent, sent},
		conns: 2,
	}, {
		name:  "closed in the middle of DATA on every connection",
		opts:  smtptest.Options{Fault: always(smtptest.Body, smtptest.Fault{Close: true})},
		size:  big,
		every: true,
		want:  []want{{mailer.Deferred, 0, "connection closed by server during DATA"}, {mailer.Deferred, 0, "connection closed by server during DATA"}, {mailer.Deferred, 0, "not attempted: connection closed by server during DATA"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 4,
	}, {
		name:  "read timeout at MAIL",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.MAIL, smtptest.Fault{Hang: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
		slow:  true,
	}, {
		name:  "read timeout after the final dot",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Hang: true})},
		want:  []want{sent, {mailer.Deferred, 0, "no answer to the end of the message within 500ms; it may have been delivered"}, sent, sent},
		conns: 2,
		slow:  true,
	}, {
		name:  "write timeout during DATA on every connection",
		opts:  smtptest.Options{Fault: always(smtptest.Body, smtptest.Fault{StopReading: true})},
		size:  bigger,
		every: true,
		want:  []want{{mailer.Deferred, 0, "server stopped reading for 3s during DATA"}, {mailer.Deferred, 0, "server stopped reading for 3s during DATA"}, {mailer.Deferred, 0, "not attempted"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 4,
		slow:  true,
		holds: true,
	}, {
		name:  "STARTTLS offered but refused",
		opts:  smtptest.Options{StartTLS: true},
		tls:   "starttls",
		want:  []want{{mailer.Deferred, 454, "454 4.7.0 TLS not available"}, {mailer.Deferred, 454, "454 4.7.0"}, {mailer.Deferred, 0, "not attempted"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 2,
	}, {
		name:  "STARTTLS offered but the handshake fails",
		opts:  smtptest.Options{StartTLS: true, Fault: always(smtptest.StartTLS, smtptest.Fault{Reply: "220 2.0.0 go ahead", Close: true})},
		tls:   "starttls",
		want:  []want{{mailer.Deferred, 0, "connect to"}, {mailer.Deferred, 0, "connect to"}, {mailer.Deferred, 0, "not attempted"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 2,
	}, {
		name:  "greeting slower than the timeout",
		opts:  smtptest.Options{Fault: on(1, 0, smtptest.Greeting, smtptest.Fault{Delay: 3 * faultTimeout})},
		want:  []want{{mailer.Deferred, 0, "timeout"}, sent, sent, sent},
		conns: 2,
	}, {
		name:  "answer to RCPT slower than the timeout",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Delay: 3 * faultTimeout})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
		slow:  true,
	}, {
		name:  "no pipelining, 421 after RCPT",
		opts:  smtptest.Options{NoPipelining: true, Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}, {
		name:  "no pipelining, closed in the middle of DATA",
		opts:  smtptest.Options{NoPipelining: true, Fault: on(1, 2, smtptest.Body, smtptest.Fault{Close: true})},
		size:  big,
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}}
	for _, tc := range append(cases, commonFaultCases(big, bigger)...) {
		t.Run(tc.name, tc.run)
	}
}

// The same faults where the server offers CHUNKING and the target has a
// window: messages 2 to 4 go with BDAT, all on the wire before the first
// answer is read. A
// connection that breaks without a word then leaves messages whose
// content went out and whose answer never came: they are deferred as
// perhaps delivered, never sent twice at once; those the server said 421
// before are sent at once on a new connection.
func TestSendChunkedFaults(t *testing.T) {
	big, bigger := 4<<20, 8<<20
	chunking := func(o smtptest.Options) smtptest.Options { o.Chunking = true; return o }
	cases := []faultCase{{
		// The server says it is leaving and goes on: what it then accepts
		// is not sent again.
		name:  "421 after BDAT LAST, connection kept",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Reply: "421 4.3.0 going down"})},
		want:  []want{sent, {mailer.Deferred, 421, "421 4.3.0 going down"}, sent, sent},
		conns: 1,
	}, {
		name:     "closed at MAIL without a word",
		opts:     smtptest.Options{Fault: on(1, 2, smtptest.MAIL, smtptest.Fault{Close: true})},
		want:     []want{sent, perhaps("connection closed by server before it answered MAIL"), maybe, maybe},
		conns:    1,
		connsMax: 2,
	}, {
		// Without the RSET before each message, the fourth message's RCPT
		// and content would join the third's transaction, still open.
		name:  "550 at the third message's RCPT",
		opts:  smtptest.Options{Fault: on(1, 3, smtptest.RCPT, smtptest.Fault{Reply: "550 5.1.1 no such user"})},
		want:  []want{sent, sent, {mailer.Bounced, 550, "550 5.1.1 no such user"}, sent},
		conns: 1,
	}, {
		name:     "closed before a chunk small enough to have gone whole",
		opts:     smtptest.Options{Fault: on(1, 2, smtptest.Body, smtptest.Fault{Close: true})},
		want:     []want{sent, perhaps("connection closed by server before it answered BDAT"), maybe, maybe},
		conns:    1,
		connsMax: 2,
	}, {
		name:  "closed before the chunk on every connection",
		opts:  smtptest.Options{Fault: always(smtptest.Body, smtptest.Fault{Close: true})},
		size:  bigger,
		every: true,
		want:  []want{{mailer.Deferred, 0, "connection closed by server during BDAT"}, {mailer.Deferred, 0, "connection closed by server during BDAT"}, {mailer.Deferred, 0, "not attempted: connection closed by server during BDAT"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 4,
	}, {
		name:  "read timeout at MAIL",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.MAIL, smtptest.Fault{Hang: true})},
		want:  []want{sent, perhaps("no answer to MAIL within 500ms"), perhaps("connection lost before the server answered"), perhaps("connection lost before the server answered")},
		conns: 1,
		slow:  true,
	}, {
		name:  "read timeout after BDAT LAST",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.Dot, smtptest.Fault{Hang: true})},
		want:  []want{sent, perhaps("no answer to BDAT within 500ms"), perhaps("connection lost before the server answered"), perhaps("connection lost before the server answered")},
		conns: 1,
		slow:  true,
	}, {
		// The server answers after the client gave up, and takes the
		// message then: perhaps delivered, indeed.
		name:  "answer to RCPT slower than the timeout",
		opts:  smtptest.Options{Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Delay: 3 * faultTimeout})},
		want:  []want{sent, perhaps("no answer to RCPT within 500ms"), perhaps("connection lost before the server answered"), perhaps("connection lost before the server answered")},
		conns: 1,
		slow:  true,
	}, {
		name:  "write timeout during BDAT on every connection",
		opts:  smtptest.Options{Fault: always(smtptest.Body, smtptest.Fault{StopReading: true})},
		size:  bigger,
		every: true,
		want:  []want{{mailer.Deferred, 0, "server stopped reading for 3s during BDAT"}, {mailer.Deferred, 0, "server stopped reading for 3s during BDAT"}, {mailer.Deferred, 0, "not attempted"}, {mailer.Deferred, 0, "not attempted"}},
		conns: 4,
		slow:  true,
		holds: true,
	}, {
		// Without PIPELINING, messages go with DATA, one at a time.
		name:  "chunking without pipelining, 421 after RCPT",
		opts:  smtptest.Options{NoPipelining: true, Fault: on(1, 2, smtptest.RCPT, smtptest.Fault{Reply: "421 4.3.0 going down", Close: true})},
		want:  []want{sent, sent, sent, sent},
		conns: 2,
	}}
	for _, tc := range append(cases, commonFaultCases(big, bigger)...) {
		tc.opts = chunking(tc.opts)
		tc.query = "&window=16"
		t.Run(tc.name, tc.run)
	}
}

// run sends message 1 alone, waits for idle (if set), then sends
// messages 2 to 4 in one call, and checks what came of them.
func (tc faultCase) run(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, tc.opts)
	tlsMode := tc.tls
	if tlsMode == "" {
		tlsMode = "none"
	}
	ts, err := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=" + tlsMode + tc.query)
	if err != nil {
		t.Fatal(err)
	}
	timeout := faultTimeout
	if tc.size > 0 {
		timeout = bigTimeout
	}
	pool := mailer.NewPool(ts[0], "example.org")
	pool.Timeout = timeout
	conn := pool.Conn()
	ctx := context.Background()

	first := 0
	if tc.every {
		first = tc.size
	}
	msgs := []mailer.Raw{rawMessage(1, first), rawMessage(2, tc.size), rawMessage(3, 0), rawMessage(4, 0)}
	got := conn.SendRaw(ctx, msgs[:1])
	time.Sleep(tc.idle)
	start := time.Now()
	got = append(got, conn.SendRaw(ctx, msgs[1:])...)
	took := time.Since(start)

	accepted := map[string]int{}
	for _, m := range srv.Messages() {
		accepted[m.To[0]]++
	}
	for i, w := range tc.want {
		r, to := got[i], msgs[i].To
		taken := false // the server may have it although it is not sent
		switch w.status {
		case maybe.status:
			if r.Status != mailer.Sent && (r.Status != mailer.Deferred || !strings.Contains(r.Reply, mayHaveBeen)) {
				t.Errorf("message %d: %+v, want sent, or deferred as perhaps delivered", i+1, r)
			}
			taken = r.Status == mailer.Deferred
		case perhapsDelivered:
			if r.Status != mailer.Deferred || r.Code != w.code || !strings.Contains(r.Reply, w.reply) {
				t.Errorf("message %d: %+v, want deferred %d with %q", i+1, r, w.code, w.reply)
			}
			taken = true
		default:
			if r.Status != w.status || r.Code != w.code || !strings.Contains(r.Reply, w.reply) {
				t.Errorf("message %d: %+v, want %s %d with %q", i+1, r, w.status, w.code, w.reply)
			}
		}
		// Sent means the server has it, once; perhaps delivered, where the
		// case says so, at most once; anything else means it does not.
		switch {
		case r.Status == mailer.Sent && accepted[to] == 1:
		case taken && accepted[to] <= 1:
		case r.Status != mailer.Sent && accepted[to] == 0:
		default:
			t.Errorf("message %d (%s): the server accepted it %d times", i+1, r.Status, accepted[to])
		}
	}
	if n := srv.Conns(); n < tc.conns || n > max(tc.conns, tc.connsMax) {
		t.Errorf("%d connections, want %d to %d", n, tc.conns, max(tc.conns, tc.connsMax))
	}
	// Without a timeout in the way the rest leaves at once; with
	// one, it costs the timeout at most twice (one try, one more on
	// a new connection). A second of slack is for a busy machine:
	// what this guards against is the retry delay, 30 s by default.
	limit := time.Second
	if tc.slow {
		limit += 2 * timeout
	} else if tc.size > 0 {
		limit += timeout
	}
	if took > limit {
		t.Errorf("messages 2 to 4 took %v, more than %v", took, limit)
	}
	conn.Close()
	if !tc.holds {
		waitUntil(t, "the server to see every connection closed", func() bool { return srv.Open() == 0 })
	}
}

// waitUntil polls cond for up to five seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A connection idle for a while is checked with a NOOP before it carries
// a message; one in steady use is not.
func TestIdleConnectionProbed(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	ts, _ := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=none")
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if i == 3 {
			time.Sleep(2500 * time.Millisecond)
		}
		if r := conn.SendRaw(ctx, []mailer.Raw{rawMessage(i, 0)}); r[0].Status != mailer.Sent {
			t.Fatalf("message %d: %+v", i, r[0])
		}
	}
	got := strings.Join(srv.Commands(), ",")
	if want := "1 EHLO,1 MAIL,1 RCPT,1 DATA,1 MAIL,1 RCPT,1 DATA,1 NOOP,1 MAIL,1 RCPT,1 DATA"; got != want {
		t.Fatalf("commands\n%s\nwant\n%s", got, want)
	}
}

// A message whose connection died before it could have been accepted is
// not tried again once its deadline has passed (an embargoed notice near
// its lift, a shutdown): it goes back to the queue unsent, like those
// after it.
func TestSendRawNoRetryPastDeadline(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Fault: on(1, 1, smtptest.MAIL, smtptest.Fault{Hang: true})})
	conn := pool(t, srv, "").Conn()
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), faultTimeout/2)
	defer cancel()
	r := conn.SendRaw(ctx, []mailer.Raw{rawMessage(1, 0), rawMessage(2, 0)})
	if r[0].Status != mailer.Unsent || r[1].Status != mailer.Unsent {
		t.Fatalf("%+v, want both unsent", r)
	}
	if srv.Conns() != 1 || srv.Count() != 0 {
		t.Fatalf("%d connections, %d messages accepted; want 1 and 0", srv.Conns(), srv.Count())
	}
}
