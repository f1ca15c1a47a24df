package mailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailer/smtptest"
)

// An address with a non-ASCII local part goes with SMTPUTF8 to a server
// that offers it. To one that does not, it fails with the reason rather
// than go out mangled (retrying would not make the relay grow the
// extension), and the connection carries on. A non-ASCII domain alone
// goes in its ASCII form to such a server.
func TestSMTPUTF8(t *testing.T) {
	msg := func(to string) mailer.Raw {
		return mailer.Raw{From: "bounce@example.org", To: to, Data: []byte("Subject: x\r\n\r\nbody\r\n")}
	}
	for _, tc := range []struct {
		name    string
		offered bool
		to      string
		status  string
		reply   string
		arrived string // the envelope recipient the server saw
	}{
		{"offered, non-ASCII local part", true, "josé@example.org", mailer.Sent, "", "josé@example.org"},
		{"offered, non-ASCII domain", true, "awa@exämple.org", mailer.Sent, "", "awa@exämple.org"},
		{"not offered, non-ASCII local part", false, "josé@example.org", mailer.Failed,
			"server does not offer SMTPUTF8, required for a non-ASCII address", ""},
		{"not offered, non-ASCII domain", false, "awa@exämple.org", mailer.Sent, "", "awa@xn--exmple-cua.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailbox.New(mailbox.Options{NoSMTPUTF8: !tc.offered})
			conn := startServer(t, srv).Conn()
			defer conn.Close()
			r := conn.SendRaw(context.Background(), []mailer.Raw{msg(tc.to), msg("after@example.com")})
			if r[0].Status != tc.status || !strings.Contains(r[0].Reply, tc.reply) {
				t.Fatalf("to %s: %+v, want %s %q", tc.to, r[0], tc.status, tc.reply)
			}
			if r[1].Status != mailer.Sent {
				t.Fatalf("the next message: %+v", r[1])
			}
			var got []string
			for _, m := range srv.Messages() {
				got = append(got, m.To...)
			}
			want := []string{"after@example.com"}
			if tc.arrived != "" {
				want = append([]string{tc.arrived}, want...)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("server received %q, want %q", got, want)
			}
		})
	}
}

// The SMTPUTF8 parameter is on MAIL only when an address needs it.
func TestSMTPUTF8Parameter(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{SMTPUTF8: true})
	ts, _ := mailer.ParseTargets("smtp://" + srv.Addr() + "?tls=none")
	conn := mailer.NewPool(ts[0], "example.org").Conn()
	defer conn.Close()
	data := []byte("Subject: x\r\n\r\nbody\r\n")
	r := conn.SendRaw(context.Background(), []mailer.Raw{
		{From: "bounce@example.org", To: "josé@example.org", Data: data},
		{From: "bounce@example.org", To: "ana@example.org", Data: data},
	})
	if r[0].Status != mailer.Sent || r[1].Status != mailer.Sent {
		t.Fatalf("%+v", r)
	}
	got := srv.Messages()
	if got[0].Mail != "FROM:<bounce@example.org> SMTPUTF8" || got[1].Mail != "FROM:<bounce@example.org>" {
		t.Fatalf("MAIL arguments %q and %q", got[0].Mail, got[1].Mail)
	}
}
