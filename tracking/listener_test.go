package tracking

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/postgres/pgtest"
)

func (f *fixture) listener(cfg ListenerConfig) *Listener {
	f.t.Helper()
	cfg.Addr, cfg.Domain, cfg.Signer = "127.0.0.1:0", testDomain, f.signer
	cfg.Recorder = &Recorder{DB: f.db}
	l := NewListener(cfg)
	if err := l.Start(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		if err := l.Close(); err != nil {
			f.t.Errorf("Close: %v", err)
		}
	})
	return l
}

// The corpus goes through the listener over SMTP, as a remote server
// would send it, and ends with the expected kind and effect.
func TestListenerCorpus(t *testing.T) {
	f := setup(t)
	l := f.listener(ListenerConfig{})
	tests := []struct {
		sample, kind, effect, state string
		unsubscribe                 bool
	}{
		{"dsn_hard_user_unknown.eml", "hard", "bounced", "bounced bounced bounced", false},
		{"exchange_text_hard.eml", "hard", "bounced", "bounced bounced bounced", false},
		{"dsn_exchange_541_access_denied.eml", "hard", "bounced", "bounced bounced bounced", false},
		{"dsn_soft_mailbox_full.eml", "soft", "counted 1 of 5", "sent active -", false},
		{"dsn_microsoft_4650.eml", "soft", "recorded", "sent active -", false},
		{"dsn_relay_denied.eml", "soft", "recorded", "sent active -", false},
		{"exim_delayed.eml", "delayed", "recorded", "sent active -", false},
		{"arf_abuse.eml", "complaint", "complained", "complained unsubscribed complained", false},
		{"autoreply_vacation.eml", "auto_reply", "recorded", "sent active -", false},
		{"unknown_reply.eml", "unknown", "recorded", "sent active -", false},
		{"malformed.eml", "unknown", "recorded", "sent active -", false},
		{"unsubscribe_mailto.eml", "unsubscribe", "unsubscribed", "sent unsubscribed unsubscribed", true},
	}
	for i, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			f.t = t
			email := "corpus-" + itoa(int64(i)) + "@example.com"
			d, c := f.delivery(email)
			to := f.bounceAddr(d)
			if tt.unsubscribe {
				to = f.unsubscribeAddr(c)
			}
			if err := smtp.SendMail(l.Addr(), nil, "", []string{to}, sample(t, tt.sample)); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := f.str(`SELECT kind || ' ' || effect || ' ' || recipient FROM inbound WHERE envelope_to = $1`, to)
			if want := tt.kind + " " + tt.effect + " " + email; got != want {
				t.Errorf("inbound = %q, want %q", got, want)
			}
			if got := f.state(d, c); got != tt.state {
				t.Errorf("delivery, contact, suppression = %q, want %q", got, tt.state)
			}
		})
	}
}

// Anything but our own addresses with good tokens is refused at RCPT,
// and nothing is stored.
func TestListenerRefusesOtherAddresses(t *testing.T) {
	f := setup(t)
	l := f.listener(ListenerConfig{})
	d, _ := f.delivery("reader@example.com")
	good := f.bounceAddr(d)
	forged := strings.Replace(good, "bounce+"+itoa(d)+"-", "bounce+"+itoa(d+1)+"-", 1)
	for _, to := range []string{"postmaster@" + testDomain, forged, strings.Replace(good, testDomain, "example.net", 1),
		"unsubscribe+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@" + testDomain} {
		c, err := smtp.Dial(l.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("sender@example.net"); err != nil {
			t.Fatal(err)
		}
		err = c.Rcpt(to)
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 550 {
			t.Errorf("RCPT %s: %v, want 550", to, err)
		}
		c.Close()
	}
	if n := f.str(`SELECT count(*)::text FROM inbound`); n != "0" {
		t.Fatalf("%s inbound rows stored", n)
	}
}

func TestListenerSizeLimit(t *testing.T) {
	f := setup(t)
	l := f.listener(ListenerConfig{MaxBytes: 2048})
	d, c := f.delivery("big@example.com")
	big := append(sample(t, "dsn_hard_user_unknown.eml"), []byte(strings.Repeat("padding line\r\n", 400))...)
	err := smtp.SendMail(l.Addr(), nil, "", []string{f.bounceAddr(d)}, big)
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("oversized message: %v, want 552", err)
	}
	if got := f.state(d, c); got != "sent active -" {
		t.Fatalf("state after a refused message: %q", got)
	}
}

func TestListenerConnectionsPerClient(t *testing.T) {
	f := setup(t)
	l := f.listener(ListenerConfig{MaxConnsPerClient: 2})
	var open []*smtp.Client
	for range 2 {
		c, err := smtp.Dial(l.Addr())
		if err != nil {
			t.Fatalf("connection within the limit: %v", err)
		}
		open = append(open, c)
	}
	if _, err := smtp.Dial(l.Addr()); err == nil || !strings.Contains(err.Error(), "421") {
		t.Fatalf("connection over the limit: %v, want 421", err)
	}
	open[0].Quit()
	// Closing one makes room for another.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := smtp.Dial(l.Addr())
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a connection closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	open[1].Close()
}

// A client that goes quiet is dropped after the timeout, and one that
// trickles is dropped after the session's time.
func TestListenerTimeouts(t *testing.T) {
	f := setup(t)
	l := f.listener(ListenerConfig{Timeout: 200 * time.Millisecond, SessionTimeout: 700 * time.Millisecond})
	quiet, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	r := bufio.NewReader(quiet)
	r.ReadString('\n') // greeting
	quiet.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("quiet client kept for %v", el)
	}

	trickle, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer trickle.Close()
	start = time.Now()
	for time.Since(start) < 3*time.Second {
		if _, err := trickle.Write([]byte("NOOP\r\n")); err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("trickling client kept for %v", el)
	}
}

// When the message cannot be recorded the sender is told to try again,
// so no bounce is lost.
func TestListenerAsksForARetryWhenItCannotRecord(t *testing.T) {
	f := setup(t)
	broken := pgtest.DB(t)
	broken.Close()
	l := NewListener(ListenerConfig{Addr: "127.0.0.1:0", Domain: testDomain, Signer: f.signer, Recorder: &Recorder{DB: broken}})
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d, _ := f.delivery("reader@example.com")
	err := smtp.SendMail(l.Addr(), nil, "", []string{f.bounceAddr(d)}, sample(t, "dsn_hard_user_unknown.eml"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 451 {
		t.Fatalf("send with the database gone: %v, want 451", err)
	}
}
