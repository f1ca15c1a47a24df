package mailer

import (
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	ts, err := ParseTargets("smtp://user:p%40ss@mail.example.org:587?tls=starttls&concurrency=8&rate=14, smtp://127.0.0.1:2525?tls=none&window=32")
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Host: "mail.example.org", Port: 587, Username: "user", Password: "p@ss", TLS: "starttls", Concurrency: 8, Rate: 14, Window: 1},
		{Host: "127.0.0.1", Port: 2525, TLS: "none", Concurrency: 4, Window: 32},
	}
	if len(ts) != 2 || ts[0] != want[0] || ts[1] != want[1] {
		t.Fatalf("got %+v", ts)
	}
	if strings.Contains(ts[0].String(), "p@ss") {
		t.Fatalf("String shows the password: %s", ts[0])
	}
	if s := ts[1].String(); !strings.HasSuffix(s, "&window=32") {
		t.Fatalf("String omits the window: %s", s)
	}
	if d, _ := ParseTargets("smtps://mail.example.org"); d[0].Port != 465 || d[0].TLS != "tls" {
		t.Fatalf("smtps default: %+v", d[0])
	}

	for _, bad := range []struct{ in, mention string }{
		{"", "no SMTP URL"},
		{"http://mail.example.org", "scheme"},
		{"smtp://:25", "host"},
		{"smtp://h?tls=maybe", "tls"},
		{"smtp://h?concurrency=0", "concurrency"},
		{"smtp://h?rate=-1", "rate"},
		{"smtp://h?window=0", "window"},
		{"smtp://h?window=65", "window"},
		{"smtp://h?window=many", "window"},
		{"smtp://h?speed=9", "speed"},
		{"smtp://h:99999", "port"},
		{"smtp://ok, smtp://h?rate=x", "SMTP URL 2"},
	} {
		_, err := ParseTargets(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.mention) {
			t.Errorf("ParseTargets(%q) = %v, want an error naming %q", bad.in, err, bad.mention)
		}
	}
}
