package mailer

import (
	"bufio"
	"errors"
	"testing"
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
