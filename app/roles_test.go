package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/communique/communique/app"
)

// COMMUNIQUE_METRICS_ADDR moves /metrics to a listener of its own and off
// the public one.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.MetricsAddr = "127.0.0.1:0" })
	resp, err := http.Get(b.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the public address: %d, want 404", resp.StatusCode)
	}
	murl := b.app.MetricsURL()
	if strings.HasPrefix(murl, b.app.URL()) {
		t.Fatalf("metrics URL %s is on the public address", murl)
	}
	resp, err = http.Get(murl)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", murl, resp.StatusCode)
	}
}

// The embedded NATS server refuses clients without the token kept in the
// data directory; the service's own URL carries it.
func TestEmbeddedNATSNeedsItsToken(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	u, err := url.Parse(b.app.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	if u.User == nil || len(u.User.Username()) < 32 {
		t.Fatalf("the embedded server's URL carries no token: %s", u.Redacted())
	}
	bare := *u
	bare.User = nil
	if nc, err := nats.Connect(bare.String(), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client without the token connected")
	}
	wrong := *u
	wrong.User = url.User("not-the-token")
	if nc, err := nats.Connect(wrong.String(), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client with a wrong token connected")
	}
	nc, err := nats.Connect(u.String(), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatalf("the service's own URL: %v", err)
	}
	nc.Close()
}

// The API's connections end long statements and idle transactions; the
// dispatcher's pool is another, so slow requests cannot starve it.
func TestAPIPoolIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, "")
	ctx := context.Background()
	var st, idle string
	if err := b.app.DB.QueryRowContext(ctx, `SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')`).Scan(&st, &idle); err != nil {
		t.Fatal(err)
	}
	if st != "30s" || idle != "1min" {
		t.Fatalf("API pool: statement_timeout %s, idle_in_transaction_session_timeout %s", st, idle)
	}
	// The dispatcher's statements run as long as they need.
	if err := b.app.WorkDB().QueryRowContext(ctx, `SELECT current_setting('statement_timeout')`).Scan(&st); err != nil {
		t.Fatal(err)
	}
	if st != "0" {
		t.Fatalf("work pool: statement_timeout %s", st)
	}
	if b.app.WorkDB() == b.app.DB {
		t.Fatal("the API and the dispatcher share one pool")
	}
}
