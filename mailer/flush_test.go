package mailer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/communique/communique/mailer/smtptest"
)

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return len(p), nil
	}
	n := f.n
	f.n = 0
	return n, errors.New("connection reset")
}

// flushThrough counts exactly what reached the connection, however the
// writes above it were cut: that count tells whether a final dot went.
func TestFlushThroughCountsWhatWent(t *testing.T) {
	for _, accepted := range []int{0, 1, 15, 16, 17, 40, 99} {
		// A small buffer below, as go-mail's, and a larger one above.
		out := &flushThrough{w: bufio.NewWriterSize(&failAfter{n: accepted}, 16)}
		w := bufio.NewWriterSize(out, 32)
		for range 10 {
			w.WriteString("0123456789")
		}
		err := w.Flush()
		if err == nil {
			t.Fatalf("%d accepted: 100 bytes written without an error", accepted)
		}
		if out.done != int64(accepted) {
			t.Errorf("%d accepted: counted %d", accepted, out.done)
		}
	}
	out := &flushThrough{w: bufio.NewWriterSize(&failAfter{n: 1000}, 16)}
	w := bufio.NewWriterSize(out, 32)
	w.WriteString("0123456789")
	if err := w.Flush(); err != nil || out.done != 10 {
		t.Fatalf("err %v, counted %d of 10", err, out.done)
	}
}

// A write that fails before the final dot went sends the message again on
// a new connection, whole, although the next message was built meanwhile
// in the caller's other buffer.
func TestMessageGoesAgainAfterTheNextWasBuilt(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	ts, err := ParseTargets("smtp://" + srv.Addr() + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	c := NewPool(ts[0], "example.org").Conn()
	defer c.Close()
	var bufs [2][]byte
	cut := false
	results := make([]Result, 3)
	c.SendEach(context.Background(), 3, func(i int) (Raw, error) {
		if i == 1 && !cut {
			// Built while message 0's content waits in the writer: the
			// write that would carry it fails.
			cut = true
			c.out.w = bufio.NewWriter(&failAfter{})
		}
		bufs[i%2] = fmt.Appendf(bufs[i%2][:0], "Subject: m%d\r\n\r\nbody %d\r\n", i, i)
		return Raw{From: "b@example.org", To: fmt.Sprintf("r%d@example.com", i), Data: bufs[i%2]}, nil
	}, results)
	for i, r := range results {
		if r.Status != Sent {
			t.Fatalf("message %d: %+v", i, r)
		}
	}
	got := srv.Messages()
	if len(got) != 3 || srv.Conns() != 2 {
		t.Fatalf("%d messages over %d connections, want 3 over 2", len(got), srv.Conns())
	}
	for i, m := range got {
		if m.To[0] != fmt.Sprintf("r%d@example.com", i) || !strings.Contains(string(m.Data), fmt.Sprintf("body %d", i)) {
			t.Fatalf("message %d: %q to %s", i, m.Data, m.To[0])
		}
	}
}
