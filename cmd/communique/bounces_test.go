package main

import (
	"context"
	"errors"
	"io"
	"net/smtp"
	"net/textproto"
	"regexp"
	"testing"

	"github.com/communique/communique/postgres/pgtest"
)

// dev runs the bounce listener on a free local port, prints it, and the
// listener refuses addresses that are not ours.
func TestDevPrintsTheBounceListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "-database-url", pgtest.URL(t), "-data-dir", t.TempDir(), "-http-addr", "127.0.0.1:0",
			"-log-level", "warn", "-no-demo"}, &stdout, io.Discard)
	}()
	m := waitBanner(t, &stdout, done, regexp.MustCompile(`Bounces: +smtp://(127\.0\.0\.1:\d+)`))
	c, err := smtp.Dial(m[1])
	if err != nil {
		t.Fatalf("dial the bounce listener: %v", err)
	}
	defer c.Close()
	if err := c.Mail("mailer-daemon@example.net"); err != nil {
		t.Fatal(err)
	}
	var te *textproto.Error
	if err := c.Rcpt("someone@example.org"); !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("RCPT to an address not ours: %v, want 550", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("dev: %v", err)
	}
}
