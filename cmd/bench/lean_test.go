package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailer"
)

// sinkAndConn starts a sink of the given kind, closed when the test
// ends, and returns it with a mailer connection to it.
func sinkAndConn(t *testing.T, kind string) (*sink, *mailer.Conn) {
	t.Helper()
	s, err := startSink(kind)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	s.start(time.Now())
	ts, err := mailer.ParseTargets("smtp://" + s.addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	t.Cleanup(conn.Close)
	return s, conn
}

// The lean sink must stay in step with a client through what a message
// can hold: lines that start with a dot (stuffed by the client), a line
// longer than its read buffer, a dot line inside a long line. A sink out
// of step would count wrong or hang the benchmark.
func TestLeanSinkCountsEveryMessage(t *testing.T) {
	s, conn := sinkAndConn(t, "lean")
	bodies := []string{
		"Subject: plain\r\n\r\nHello.\r\n",
		"Subject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nend\r\n",
		"Subject: long\r\n\r\n" + strings.Repeat("x", 200<<10) + "\r\n.\r\n",
		"Subject: long line ending in a dot\r\n\r\n" + strings.Repeat("y", 64<<10) + ".\r\nlast\r\n",
		"Subject: no final line break\r\n\r\nno break",
	}
	var msgs []mailer.Raw
	for i := 0; i < 3; i++ {
		for _, b := range bodies {
			msgs = append(msgs, mailer.Raw{From: "bounce@example.org", To: "reader@example.net", Data: []byte(b)})
		}
	}
	for i, r := range conn.SendRaw(context.Background(), msgs) {
		if r.Status != mailer.Sent {
			t.Fatalf("message %d: %s %s", i, r.Status, r.Reply)
		}
	}
	if err := s.wait(int64(len(msgs)), 10*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if got := s.count.Load(); got != int64(len(msgs)) {
		t.Fatalf("sink counted %d messages, want %d", got, len(msgs))
	}
}

// The lean-ids sink names each message it accepts, as Postfix does, in
// a form the dispatcher reads as the relay's id.
func TestLeanSinkGivesQueueIDs(t *testing.T) {
	_, conn := sinkAndConn(t, "lean-ids")
	msgs := make([]mailer.Raw, 3)
	for i := range msgs {
		msgs[i] = mailer.Raw{From: "bounce@example.org", To: "reader@example.net", Data: []byte("Subject: x\r\n\r\nHello.\r\n")}
	}
	seen := map[string]bool{}
	for i, r := range conn.SendRaw(context.Background(), msgs) {
		if r.Status != mailer.Sent || r.ProviderID == "" || seen[r.ProviderID] {
			t.Fatalf("message %d: %s %q, id %q (seen: %v)", i, r.Status, r.Reply, r.ProviderID, seen)
		}
		seen[r.ProviderID] = true
	}
}

// Pipelined commands are answered together: the replies to MAIL, RCPT
// and DATA sent in one write go out in one write.
func TestLeanSinkAnswersPipelinedCommandsTogether(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	writes := make(chan int, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		cc := &countingConn{Conn: c}
		(&leanServer{received: func() {}}).handle(cc)
		c.Close()
		writes <- cc.writes
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expect := func(prefix string) {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, prefix) {
			t.Fatalf("read %q, %v; want a line starting %q", line, err, prefix)
		}
	}
	expect("220 ")
	c.Write([]byte("EHLO example.org\r\n"))
	for _, want := range []string{"250-localhost", "250-PIPELINING", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250 SIZE"} {
		expect(want)
	}
	c.Write([]byte("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"))
	expect("250 ")
	expect("250 ")
	expect("354 ")
	c.Write([]byte("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"))
	expect("250 ")
	expect("221 ")
	// Greeting, EHLO, the three pipelined replies, and the last two.
	if got := <-writes; got != 4 {
		t.Fatalf("the sink wrote %d times, want 4", got)
	}
}

type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes++
	return c.Conn.Write(b)
}

func TestProcCPUReadsThisProcess(t *testing.T) {
	// Burn a little CPU so that at least one clock tick is counted.
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	if got := procCPU(os.Getpid()); got <= 0 {
		t.Fatalf("procCPU(self) = %v, want > 0", got)
	}
	if got := procCPU(1 << 30); got != 0 {
		t.Fatalf("procCPU of no process = %v, want 0", got)
	}
}
