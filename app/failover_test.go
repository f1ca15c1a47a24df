package app_test

import (
	"net/url"
	"testing"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/postgres/pgtest"
)

// TestStartsOnMultiHostDatabaseURL starts the service with a database URL
// naming two hosts, the first one down, and asking for the writable one:
// the URL a primary with a standby is given, so the service finds
// whichever host is primary after a switch-over.
func TestStartsOnMultiHostDatabaseURL(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		t.Fatalf("test database URL %s names no port", u.Redacted())
	}
	// Nothing listens on 127.0.0.2 at the test server's port: the first
	// host refuses, as a dead primary would.
	u.Host = "127.0.0.2," + u.Hostname() + ":" + u.Port()
	q := u.Query()
	q.Set("target_session_attrs", "read-write")
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	b := setup(t, natstest.Embedded(t), func(c *app.Config) { c.DatabaseURL = u.String() })
	if n := b.count(`SELECT count(*) FROM dispatches`); n != 0 {
		t.Fatalf("a new database holds %d dispatches", n)
	}
}
