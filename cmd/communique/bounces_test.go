package main

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"regexp"
	"testing"
)

// dev runs the bounce listener on a free local port, prints it, and the
// listener refuses addresses that are not ours.
func TestDevPrintsTheBounceListener(t *testing.T) {
	_, m, stop := runDev(t, regexp.MustCompile(`Bounces: +smtp://(127\.0\.0\.1:\d+)`), "-no-demo")
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
	if err := stop(); err != nil {
		t.Fatalf("dev: %v", err)
	}
}
