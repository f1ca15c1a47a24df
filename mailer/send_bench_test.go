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
		ts, _ := mailer.ParseTargets("smtp://" + net.JoinHostPort(host, strconv.Itoa(port)) + "?tls=none")
		conn := mailer.NewPool(ts[0], "example.org").Conn()
		defer conn.Close()
		msgs := []mailer.Raw{{From: "bounce@example.org", To: "awa@example.com", Data: raw.Bytes()}}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := conn.SendRaw(context.Background(), msgs); r[0].Status != mailer.Sent {
				b.Fatal(r[0])
			}
		}
	})
}
