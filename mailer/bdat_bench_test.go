package mailer_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkBDATWindow measures what CHUNKING (RFC 3030) would allow: with
// BDAT, a message needs no 354 before its content, so a connection can
// keep window messages on the wire before reading their answers, where
// the pipelined send waits one round trip per message. This is a bare
// sender written for the measurement, with no error handling beyond
// stopping: the dispatcher does not send this way.
//
//	go test ./mailer -run '^$' -bench BDATWindow -benchtime 3000x
func BenchmarkBDATWindow(b *testing.B) {
	host, port := startDiscard(b)
	local := net.JoinHostPort(host, strconv.Itoa(port))
	data := bytes.Repeat([]byte("Une ligne de texte du communiqué.\r\n"), 120)
	for _, to := range []struct{ name, addr string }{
		{"loopback", local},
		{"1ms-away", delayProxy(b, local, time.Millisecond)},
	} {
		// The pipelined send, in chunks of 125 as the dispatcher's
		// workers claim them, for comparison.
		b.Run(to.name+"/pipelined", func(b *testing.B) { sendRaw(b, to.addr, data, 125) })
		for _, window := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/window-%d", to.name, window), func(b *testing.B) { sendBDAT(b, to.addr, data, window) })
		}
	}
}

// sendBDAT sends b.N messages of data over one connection to addr, each
// as MAIL, RCPT and one BDAT LAST, with at most window messages not yet
// answered, and reports messages per second.
func sendBDAT(b *testing.B, addr string, data []byte, window int) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	w := bufio.NewWriterSize(nc, 32<<10)
	reply := func() (string, error) {
		var all strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return all.String(), err
			}
			all.WriteString(line)
			if len(line) < 4 || line[3] == ' ' {
				return all.String(), nil
			}
		}
	}
	if _, err := reply(); err != nil {
		b.Fatal(err)
	}
	w.WriteString("EHLO example.org\r\n")
	w.Flush()
	ehlo, err := reply()
	if err != nil || !strings.Contains(ehlo, "CHUNKING") {
		b.Fatalf("no CHUNKING in %q (%v)", ehlo, err)
	}
	answered := make(chan error, window)
	go func() {
		for {
			for range 3 { // MAIL, RCPT, BDAT
				line, err := reply()
				if err == nil && !strings.HasPrefix(line, "250") {
					err = fmt.Errorf("answer %q", line)
				}
				if err != nil {
					answered <- err
					return
				}
			}
			answered <- nil
		}
	}()
	b.ResetTimer()
	bdat := "BDAT " + strconv.Itoa(len(data)) + " LAST\r\n"
	out := 0
	for i := 0; i < b.N; i++ {
		if out == window {
			w.Flush()
			if err := <-answered; err != nil {
				b.Fatal(err)
			}
			out--
		}
		fmt.Fprintf(w, "MAIL FROM:<bounce@example.org>\r\nRCPT TO:<r%d@example.com>\r\n", i)
		w.WriteString(bdat)
		w.Write(data)
		out++
	}
	w.Flush()
	for ; out > 0; out-- {
		if err := <-answered; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
