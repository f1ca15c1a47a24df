package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// setup starts a server on a free port and closes it when the test ends.
func setup(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, addr
}

// dial opens an SMTP connection that is closed when the test ends.
func dial(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("test.example"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	return c
}

// message builds a minimal message; net/smtp turns its line ends into CRLF.
func message(subject, body string) string {
	return "From: Media Office <media@example.org>\n" +
		"To: desk@example.com\n" +
		"Subject: " + subject + "\n" +
		"Message-ID: <" + idPart(subject) + "@example.org>\n" +
		"\n" + body + "\n"
}

// idPart keeps the letters and digits of s, for a Message-ID.
func idPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '.'
	}, s)
}

// send runs one mail transaction on c and fails the test on any error.
func send(t *testing.T, c *smtp.Client, from string, to []string, msg string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatalf("MAIL FROM: %v", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			t.Fatalf("RCPT TO %s: %v", rcpt, err)
		}
	}
	if err := data(c, msg); err != nil {
		t.Fatalf("DATA: %v", err)
	}
}

func data(c *smtp.Client, msg string) error {
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	return w.Close()
}

// smtpCode returns the reply code of an error from net/smtp, or 0.
func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestManyMessagesOnOneConnection(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)

	send(t, c, "a@example.org", []string{"one@example.com"}, message("first", "body one"))
	// An abandoned transaction leaves nothing behind.
	if err := c.Mail("b@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("abandoned@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(); err != nil {
		t.Fatalf("RSET: %v", err)
	}
	send(t, c, "c@example.org", []string{"two@example.com"}, message("second", "body two"))
	send(t, c, "d@example.org", []string{"three@example.com"}, message("third", "body three"))
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}

	got := s.Messages()
	want := []struct{ from, to, subject string }{
		{"a@example.org", "one@example.com", "first"},
		{"c@example.org", "two@example.com", "second"},
		{"d@example.org", "three@example.com", "third"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i, w := range want {
		m := got[i]
		if m.ID != i+1 || m.From != w.from || !slices.Equal(m.To, []string{w.to}) || m.Subject != w.subject {
			t.Errorf("message %d = {%d %q %q %q}, want {%d %q %q %q}", i, m.ID, m.From, m.To, m.Subject, i+1, w.from, []string{w.to}, w.subject)
		}
		if m.MessageID != w.subject+"@example.org" {
			t.Errorf("message %d: MessageID = %q", i, m.MessageID)
		}
		if !strings.Contains(string(m.Data), "\r\n\r\nbody ") {
			t.Errorf("message %d: Data lacks the body: %q", i, m.Data)
		}
		if m.Received.IsZero() {
			t.Errorf("message %d: Received is zero", i)
		}
	}
	if s.Count() != 3 {
		t.Errorf("Count = %d, want 3", s.Count())
	}
}

func TestMultipleRecipients(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	to := []string{"a@example.com", "b@example.com", "c@example.net"}
	if err := smtp.SendMail(addr, nil, "media@example.org", to, []byte(message("many", "hello"))); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	m, ok := s.Message(1)
	if !ok {
		t.Fatal("message 1 not found")
	}
	if !slices.Equal(m.To, to) {
		t.Errorf("To = %q, want %q", m.To, to)
	}
}

func TestReject(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked []string
	s, addr := setup(t, Options{Reject: func(from, to string) *gosmtp.SMTPError {
		mu.Lock()
		asked = append(asked, from+" "+to)
		mu.Unlock()
		switch to {
		case "gone@example.com":
			return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
		case "busy@example.com":
			return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 2, 0}, Message: "Try again later"}
		}
		return nil
	}})
	c := dial(t, addr)

	if err := c.Mail("media@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ok@example.com"); err != nil {
		t.Fatalf("RCPT ok: %v", err)
	}
	if err := c.Rcpt("gone@example.com"); smtpCode(err) != 550 {
		t.Errorf("RCPT gone: err = %v, want a 550", err)
	}
	if err := c.Rcpt("busy@example.com"); smtpCode(err) != 451 {
		t.Errorf("RCPT busy: err = %v, want a 451", err)
	}
	if err := data(c, message("partial", "x")); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	m, _ := s.Message(1)
	if !slices.Equal(m.To, []string{"ok@example.com"}) {
		t.Errorf("To = %q, want only the accepted recipient", m.To)
	}
	mu.Lock()
	if want := "media@example.org busy@example.com"; len(asked) != 3 || asked[2] != want {
		t.Errorf("Reject was asked %q, want a third call %q", asked, want)
	}
	mu.Unlock()

	// With every recipient refused there is nothing to send.
	if err := c.Mail("media@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("gone@example.com"); smtpCode(err) != 550 {
		t.Errorf("RCPT gone: err = %v, want a 550", err)
	}
	if _, err := c.Data(); err == nil {
		t.Error("DATA with no recipient succeeded")
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}

	// Switching the hook applies to the next RCPT on the same connection.
	s.SetReject(nil)
	send(t, c, "media@example.org", []string{"gone@example.com", "busy@example.com"}, message("retry", "x"))
	if m, _ := s.Message(2); !slices.Equal(m.To, []string{"gone@example.com", "busy@example.com"}) {
		t.Errorf("after SetReject(nil): To = %q", m.To)
	}
	s.SetReject(func(_, _ string) *gosmtp.SMTPError {
		return &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 5, 3}, Message: "Too many"}
	})
	if err := c.Mail("media@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ok@example.com"); smtpCode(err) != 452 {
		t.Errorf("RCPT after SetReject: err = %v, want a 452", err)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := s.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on an empty mailbox = %v, want DeadlineExceeded", err)
	}

	go func() {
		for i := range 2 {
			// Errors surface as Wait timing out.
			smtp.SendMail(addr, nil, "media@example.org", []string{"x@example.com"}, []byte(message(fmt.Sprint("w", i), "x")))
		}
	}()
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx, 2); err != nil {
		t.Fatalf("Wait(2) = %v", err)
	}
	if s.Count() < 2 {
		t.Errorf("Count = %d after Wait(2)", s.Count())
	}
	// Already reached: returns at once, even with a finished context.
	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	if err := s.Wait(done, 2); err != nil {
		t.Errorf("Wait for a reached count = %v", err)
	}
}

func TestLimitDropsOldest(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{Limit: 2})
	c := dial(t, addr)
	for _, subj := range []string{"m1", "m2", "m3"} {
		send(t, c, "media@example.org", []string{"x@example.com"}, message(subj, "x"))
	}
	got := s.Messages()
	if len(got) != 2 || got[0].ID != 2 || got[0].Subject != "m2" || got[1].ID != 3 || got[1].Subject != "m3" {
		t.Errorf("Messages = %+v, want m2 and m3", got)
	}
	if s.Count() != 3 {
		t.Errorf("Count = %d, want 3", s.Count())
	}
	if _, ok := s.Message(1); ok {
		t.Error("dropped message 1 still found")
	}
	if m, ok := s.Message(3); !ok || m.Subject != "m3" {
		t.Errorf("Message(3) = %+v, %v", m, ok)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	send(t, c, "media@example.org", []string{"x@example.com"}, message("before", "x"))
	s.Reset()
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages after Reset", n)
	}
	send(t, c, "media@example.org", []string{"x@example.com"}, message("after", "x"))
	got := s.Messages()
	if len(got) != 1 || got[0].ID != 2 || got[0].Subject != "after" {
		t.Errorf("Messages = %+v, want one message with id 2", got)
	}
	if _, ok := s.Message(1); ok {
		t.Error("Message(1) found after Reset")
	}
	if s.Count() != 2 {
		t.Errorf("Count = %d, want 2", s.Count())
	}
}

func TestSubjectDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, want string
	}{
		{"Plain words", "Plain words"},
		{"=?UTF-8?B?QsOpbMOpbSDigJQg2LPZhNin2YU=?=", "Bélém — سلام"},
		{"=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"},
		{"=?UTF-8?Q?Sous_embargo?=\n =?UTF-8?Q?_jusqu=E2=80=99au_lundi?=", "Sous embargo jusqu’au lundi"},
		{"=?x-unknown?Q?abc?=", "=?x-unknown?Q?abc?="},
	}
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	for _, tt := range tests {
		send(t, c, "media@example.org", []string{"x@example.com"}, message(tt.header, "x"))
	}
	for i, tt := range tests {
		m, _ := s.Message(i + 1)
		if m.Subject != tt.want {
			t.Errorf("Subject for %q = %q, want %q", tt.header, m.Subject, tt.want)
		}
	}
}

func TestAuthAccepted(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	for _, auth := range []smtp.Auth{
		smtp.PlainAuth("", "user", "secret", "127.0.0.1"),
		smtp.CRAMMD5Auth("user", "secret"),
	} {
		if err := smtp.SendMail(addr, auth, "media@example.org", []string{"x@example.com"}, []byte(message("auth", "x"))); err != nil {
			t.Errorf("SendMail with %T: %v", auth, err)
		}
	}

	c, err := gosmtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("user", "secret")); err != nil {
		t.Fatalf("AUTH LOGIN: %v", err)
	}
	if err := c.SendMail("media@example.org", []string{"x@example.com"}, strings.NewReader(message("login", "x"))); err != nil {
		t.Fatalf("SendMail after AUTH LOGIN: %v", err)
	}
	if s.Count() != 3 {
		t.Errorf("Count = %d, want 3", s.Count())
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	const clients, each = 10, 5
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range each {
				if err := c.Mail("media@example.org"); err != nil {
					errs <- err
					return
				}
				if err := c.Rcpt(fmt.Sprintf("c%d@example.com", i)); err != nil {
					errs <- err
					return
				}
				if err := data(c, message(fmt.Sprintf("c%d m%d", i, j), "x")); err != nil {
					errs <- err
					return
				}
			}
			errs <- c.Quit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := s.Messages()
	if len(got) != clients*each || s.Count() != clients*each {
		t.Fatalf("kept %d, counted %d, want %d", len(got), s.Count(), clients*each)
	}
	for i, m := range got {
		if m.ID != i+1 {
			t.Fatalf("message %d has id %d", i, m.ID)
		}
	}
}

func TestMessageTooLarge(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	line := strings.Repeat("x", 998) + "\n"
	body := strings.Repeat(line, maxMessageBytes/len(line)+100)
	if err := c.Mail("media@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("x@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := data(c, message("big", body)); smtpCode(err) != 552 {
		t.Errorf("DATA of %d bytes: err = %v, want a 552", len(body), err)
	}
	// The connection stays usable.
	send(t, c, "media@example.org", []string{"x@example.com"}, message("small", "x"))
	if got := s.Messages(); len(got) != 1 || got[0].Subject != "small" {
		t.Errorf("Messages = %+v, want only the small one", got)
	}
}

func TestCloseWithOpenConnection(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("Addr = %q, want %q", s.Addr(), addr)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	c := dial(t, addr)
	if err := c.Mail("media@example.org"); err != nil {
		t.Fatal(err)
	}

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with a client connected")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.Rcpt("x@example.com"); err == nil {
		t.Error("RCPT succeeded after Close")
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestCloseWithoutStart(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
