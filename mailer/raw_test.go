package mailer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
)

func TestSendRaw(t *testing.T) {
	srv := mailbox.New(mailbox.Options{Reject: func(from, to string) *smtp.SMTPError {
		switch to {
		case "gone@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case "busy@example.com":
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		}
		return nil
	}})
	conn := startServer(t, srv).Conn()
	defer conn.Close()

	body := func(i int) []byte {
		// A line starting with a dot must arrive as written; so must a
		// message not ending with a line break.
		return []byte(fmt.Sprintf("Subject: m%d\r\nMessage-ID: <m%d@example.org>\r\n\r\nline\r\n.hidden\r\n..two\r\nend", i, i))
	}
	msgs := []mailer.Raw{
		{From: "bounce+1@example.org", To: "a@example.com", Data: body(1)},
		{From: "bounce+2@example.org", To: "gone@example.com", Data: body(2)},
		{From: "bounce+3@example.org", To: "busy@example.com", Data: body(3)},
		{From: "bounce+4@example.org", To: "b@example.com", Data: body(4)},
	}
	want := []struct {
		status string
		code   int
	}{{mailer.Sent, 250}, {mailer.Bounced, 550}, {mailer.Deferred, 451}, {mailer.Sent, 250}}
	for i, r := range conn.SendRaw(context.Background(), msgs) {
		if r.Status != want[i].status || r.Code != want[i].code {
			t.Errorf("message %d: %+v, want %v %d", i+1, r, want[i].status, want[i].code)
		}
	}
	got := srv.Messages()
	if len(got) != 2 || got[0].To[0] != "a@example.com" || got[1].To[0] != "b@example.com" {
		t.Fatalf("server kept %+v", got)
	}
	if got[0].From != "bounce+1@example.org" {
		t.Errorf("envelope sender %q", got[0].From)
	}
	if data := string(got[1].Data); !strings.Contains(data, "\r\n.hidden\r\n..two\r\nend") {
		t.Errorf("body arrived as %q", data)
	}
	// The connection stays usable after refusals.
	if r := conn.SendRaw(context.Background(), msgs[:1]); r[0].Status != mailer.Sent {
		t.Fatalf("after refusals: %+v", r[0])
	}
	for _, bad := range []string{"x@example.com>\r\nRCPT TO:<evil@example.net", "a\nb@example.com"} {
		r := conn.SendRaw(context.Background(), []mailer.Raw{{From: "b@example.org", To: bad, Data: body(9)}})
		if r[0].Status != mailer.Failed {
			t.Errorf("envelope %q: %+v", bad, r[0])
		}
	}
	if n := srv.Count(); n != 3 {
		t.Fatalf("server received %d messages, want 3", n)
	}
}

// A connection outlives the timeout it was dialled with: each message
// gets the timeout afresh.
func TestSendRawLongLivedConnection(t *testing.T) {
	pool := startServer(t, mailbox.New(mailbox.Options{}))
	pool.Timeout = 300 * time.Millisecond
	conn := pool.Conn()
	defer conn.Close()
	msg := []mailer.Raw{{From: "b@example.org", To: "a@example.com", Data: []byte("Subject: x\r\n\r\nbody\r\n")}}
	for i := 0; i < 3; i++ {
		if r := conn.SendRaw(context.Background(), msg); r[0].Status != mailer.Sent {
			t.Fatalf("message %d: %+v", i, r[0])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// SendEach asks for each message as it goes, so that two buffers taken
// in turn can hold them all; a message that fails to build is Failed with
// the error as its reply, and the others go.
func TestSendEachBuildsInTwoBuffers(t *testing.T) {
	srv := mailbox.New(mailbox.Options{})
	conn := startServer(t, srv).Conn()
	defer conn.Close()
	var bufs [2][]byte
	results := make([]mailer.Result, 5)
	conn.SendEach(context.Background(), 5, func(i int) (mailer.Raw, error) {
		if i == 1 {
			return mailer.Raw{}, fmt.Errorf("no template for message %d", i)
		}
		bufs[i%2] = fmt.Appendf(bufs[i%2][:0], "Subject: m%d\r\n\r\nbody %d\r\n", i, i)
		return mailer.Raw{From: "b@example.org", To: fmt.Sprintf("r%d@example.com", i), Data: bufs[i%2]}, nil
	}, results)
	for i, r := range results {
		if i != 1 && r.Status != mailer.Sent {
			t.Fatalf("message %d: %+v", i, r)
		}
	}
	if results[1].Status != mailer.Failed || results[1].Reply != "no template for message 1" {
		t.Fatalf("the message that failed to build: %+v", results[1])
	}
	got := srv.Messages()
	if len(got) != 4 {
		t.Fatalf("server kept %d messages, want 4", len(got))
	}
	for k, i := range []int{0, 2, 3, 4} {
		if got[k].To[0] != fmt.Sprintf("r%d@example.com", i) || !strings.Contains(string(got[k].Data), fmt.Sprintf("body %d", i)) {
			t.Fatalf("server kept %q for %s", got[k].Data, got[k].To[0])
		}
	}
}

// startServer starts srv on a free local port until the test ends and
// returns a pool of plain connections to it.
func startServer(t *testing.T, srv *mailbox.Server) *mailer.Pool {
	t.Helper()
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts, err := mailer.ParseTargets("smtp://" + addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	return mailer.NewPool(ts[0], "example.org")
}

// lateTimer is a context past its deadline whose timer has not fired
// yet, as on a machine too busy to run it.
type lateTimer struct{ context.Context }

func (lateTimer) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// No message starts past the context's deadline, even before the
// context says so itself.
func TestSendRawNothingStartsPastTheDeadline(t *testing.T) {
	srv := mailbox.New(mailbox.Options{})
	conn := startServer(t, srv).Conn()
	defer conn.Close()
	msg := mailer.Raw{From: "b@example.org", To: "a@example.com", Data: []byte("Subject: x\r\n\r\nbody\r\n")}
	r := conn.SendRaw(lateTimer{context.Background()}, []mailer.Raw{msg, msg})
	if r[0].Status != mailer.Unsent || r[1].Status != mailer.Unsent {
		t.Fatalf("results %+v, want both unsent", r)
	}
	if n := srv.Count(); n != 0 {
		t.Fatalf("the server received %d messages past the deadline", n)
	}
}
