package mailer_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	mail "github.com/wneessen/go-mail"

	"github.com/communique/communique/mailer"
)

// discard is an SMTP server that accepts and drops everything.
type discard struct{}

func (discard) NewSession(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (discardSession) Reset()                               {}
func (discardSession) Logout() error                        { return nil }

func startDiscard(b *testing.B) (string, int) {
	srv := smtp.NewServer(discard{})
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port
}

// BenchmarkSendOneConnection compares, over one loopback connection, what
// a message costs with go-mail's defaults (NOOP before and RSET after
// each message), without them, and with SendRaw's pipelined envelope:
//
//	go test ./mailer -run '^$' -bench SendOneConnection -benchtime 3000x
func BenchmarkSendOneConnection(b *testing.B) {
	host, port := startDiscard(b)
	msg, _ := mailer.Build(&mailer.Message{
		FromName: "Media Office", FromEmail: "media@example.org", ToName: "Awa Diop", ToEmail: "awa@example.com",
		MessageID: "m@example.org", Language: "fr", Subject: "Accord", Date: time.Now(),
		Text: string(bytes.Repeat([]byte("Une ligne de texte du communiqué.\n"), 60)),
		HTML: string(bytes.Repeat([]byte("<p>Une ligne de texte du communiqué.</p>\n"), 60)),
	})
	var raw bytes.Buffer
	msg.WriteTo(&raw)

	for _, c := range []struct {
		name string
		opts []mail.Option
	}{
		{"go-mail-defaults", nil},
		{"go-mail-without-noop-rset", []mail.Option{mail.WithoutNoop(), mail.WithoutRset()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := append([]mail.Option{mail.WithPort(port), mail.WithTLSPortPolicy(mail.NoTLS)}, c.opts...)
			client, err := mail.NewClient(host, opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := client.DialWithContext(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := client.Send(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("raw-pipelined", func(b *testing.B) {
		sendRaw(b, net.JoinHostPort(host, strconv.Itoa(port)), "", raw.Bytes(), 1)
	})
	b.Run("raw-pipelined-chunks-of-50", func(b *testing.B) {
		sendRaw(b, net.JoinHostPort(host, strconv.Itoa(port)), "", raw.Bytes(), 50)
	})
}

// BenchmarkSendOverDistance sends chunks of 50 over one connection to a
// relay 1 ms away each way, where round trips, not the CPU, bound a
// connection:
//
//	go test ./mailer -run '^$' -bench SendOverDistance -benchtime 1000x
func BenchmarkSendOverDistance(b *testing.B) {
	host, port := startDiscard(b)
	addr := delayProxy(b, net.JoinHostPort(host, strconv.Itoa(port)), time.Millisecond)
	data := bytes.Repeat([]byte("Une ligne de texte du communiqué.\r\n"), 120)
	sendRaw(b, addr, "", data, 50)
}

// sendRaw sends b.N messages to addr over one connection, chunk at a
// time, and reports messages per second; query adds to the target's URL.
func sendRaw(b *testing.B, addr, query string, data []byte, chunk int) {
	ts, _ := mailer.ParseTargets("smtp://" + addr + "?tls=none" + query)
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	msgs := make([]mailer.Raw, chunk)
	for i := range msgs {
		msgs[i] = mailer.Raw{From: "bounce@example.org", To: "awa@example.com", Data: data}
	}
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += chunk {
		for _, r := range conn.SendRaw(context.Background(), msgs[:min(chunk, b.N-sent)]) {
			if r.Status != mailer.Sent {
				b.Fatal(r)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// delayProxy forwards connections to target, holding what each side
// writes for delay before passing it on, in order.
func delayProxy(b testing.TB, target string, delay time.Duration) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go delayed(c, s, delay)
			go delayed(s, c, delay)
		}
	}()
	return l.Addr().String()
}

func delayed(from, to net.Conn, delay time.Duration) {
	type piece struct {
		at   time.Time
		data []byte
	}
	q := make(chan piece, 1024)
	go func() {
		defer to.Close()
		for p := range q {
			time.Sleep(time.Until(p.at))
			if _, err := to.Write(p.data); err != nil {
				return
			}
		}
	}()
	defer close(q)
	for {
		buf := make([]byte, 64<<10)
		n, err := from.Read(buf)
		if n > 0 {
			q <- piece{time.Now().Add(delay), buf[:n]}
		}
		if err != nil {
			return
		}
	}
}
