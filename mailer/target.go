// Package mailer turns rendered releases into MIME messages and sends them
// to the configured SMTP targets over reused connections, reporting each
// message's outcome.
package mailer

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Target is one SMTP server with its own limits, from COMMUNIQUE_SMTP_URL.
type Target struct {
	Host        string
	Port        int
	Username    string
	Password    string
	TLS         string  // none, starttls or tls
	Concurrency int     // connections at once
	Rate        float64 // messages per second; 0 means no limit
	// Window is how many messages a connection may keep unanswered, with
	// BDAT, where the server offers CHUNKING and PIPELINING; 1 (the
	// default) sends each message once the one before it is answered.
	// See Conn.SendEach.
	Window int
}

// String describes t without its password.
func (t Target) String() string {
	user := ""
	if t.Username != "" {
		user = t.Username + "@"
	}
	s := fmt.Sprintf("smtp://%s%s?tls=%s&concurrency=%d&rate=%g", user, net.JoinHostPort(t.Host, strconv.Itoa(t.Port)), t.TLS, t.Concurrency, t.Rate)
	if t.Window > 1 {
		s += "&window=" + strconv.Itoa(t.Window)
	}
	return s
}

// ParseTargets parses comma-separated SMTP URLs:
// smtp://user:pass@host:port?tls=none|starttls|tls&concurrency=N&rate=R&window=W.
func ParseTargets(s string) ([]Target, error) {
	var ts []Target
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		t, err := parseTarget(part)
		if err != nil {
			return nil, fmt.Errorf("SMTP URL %d: %w", i+1, err)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no SMTP URL given")
	}
	return ts, nil
}

func parseTarget(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("cannot parse: %w", redactErr(err))
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return Target{}, fmt.Errorf("scheme %q: want smtp", u.Scheme)
	}
	t := Target{Host: u.Hostname(), TLS: "starttls", Concurrency: 4, Window: 1}
	if t.Host == "" {
		return Target{}, fmt.Errorf("host: required")
	}
	if u.Scheme == "smtps" {
		t.TLS = "tls"
	}
	q := u.Query()
	for key := range q {
		switch key {
		case "tls", "concurrency", "rate", "window":
		default:
			return Target{}, fmt.Errorf("unknown parameter %q (want tls, concurrency, rate or window)", key)
		}
	}
	if v := q.Get("tls"); v != "" {
		switch v {
		case "none", "starttls", "tls":
			t.TLS = v
		default:
			return Target{}, fmt.Errorf("tls=%q: want none, starttls or tls", v)
		}
	}
	if v := q.Get("concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return Target{}, fmt.Errorf("concurrency=%q: want a whole number from 1 to 1000", v)
		}
		t.Concurrency = n
	}
	if v := q.Get("rate"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 {
			return Target{}, fmt.Errorf("rate=%q: want messages per second, 0 for no limit", v)
		}
		t.Rate = r
	}
	if v := q.Get("window"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxWindow {
			return Target{}, fmt.Errorf("window=%q: want a whole number from 1 to %d", v, MaxWindow)
		}
		t.Window = n
	}
	t.Port = 25
	if t.TLS == "tls" {
		t.Port = 465
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("port %q is not a port number", p)
		}
		t.Port = n
	}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}
	return t, nil
}

// redactErr keeps a password in a URL out of error messages.
func redactErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s", ue.Err)
	}
	return err
}
