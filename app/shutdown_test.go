package app_test

import (
	"flag"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/app"
)

func TestShutdownDelaySetting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", 0, ""},
		{"0", 0, ""},
		{"5s", 5 * time.Second, ""},
		{"1500ms", 1500 * time.Millisecond, ""},
		{"-1s", 0, `COMMUNIQUE_SHUTDOWN_DELAY "-1s": want a duration from 0s to 1m0s`},
		{"5m", 0, `COMMUNIQUE_SHUTDOWN_DELAY "5m"`},
		{"five", 0, `COMMUNIQUE_SHUTDOWN_DELAY "five"`},
	} {
		c := app.Config{Dev: true, ShutdownDelay: tc.value}
		got, err := c.ShutdownDelayDuration()
		verr := c.Validate()
		switch {
		case tc.err == "" && (err != nil || verr != nil || got != tc.want):
			t.Errorf("%q: %v, %v, %v; want %v", tc.value, got, err, verr, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || verr == nil || !strings.Contains(verr.Error(), tc.err)):
			t.Errorf("%q: %v and %v, want an error containing %q", tc.value, err, verr, tc.err)
		}
	}

	// The flags' default, for serve; dev sets its own.
	t.Setenv("COMMUNIQUE_SHUTDOWN_DELAY", "")
	os.Unsetenv("COMMUNIQUE_SHUTDOWN_DELAY")
	var c app.Config
	c.RegisterFlags(flag.NewFlagSet("serve", flag.ContinueOnError))
	if d, err := c.ShutdownDelayDuration(); d != 5*time.Second || err != nil {
		t.Errorf("default delay %v, %v; want 5s", d, err)
	}
}

// Close turns /readyz unready at once, keeps serving for the delay, then
// stops accepting; a second Close waits for nothing.
func TestCloseWaitsTheDelayUnready(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	b := setup(t, "", func(c *app.Config) { c.ShutdownDelay = delay.String() })
	get := func(path string) (int, error) {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
		res, err := c.Get(b.app.URL() + path)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	if code, err := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before Close: %d %v", code, err)
	}
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- b.app.Close() }()
	time.Sleep(delay / 4)
	if code, err := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz once Close began: %d %v, want 503", code, err)
	}
	if code, err := get("/api/v1/releases"); code != http.StatusUnauthorized {
		t.Fatalf("a request during the delay: %d %v, want it served (401 without a token)", code, err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("Close took %v, less than the %v delay", took, delay)
	}
	if _, err := get("/healthz"); err == nil {
		t.Fatal("the server still answers after Close")
	}
	start = time.Now()
	if err := b.app.Close(); err != nil || time.Since(start) > delay/2 {
		t.Fatalf("a second Close: %v after %v", err, time.Since(start))
	}
}

// A dispatcher has no HTTP server of its own: its liveness and readiness
// are on the metrics listener.
func TestDispatcherProbesOnMetricsAddress(t *testing.T) {
	t.Parallel()
	api := setup(t, "")
	d := setup(t, api.nats, func(c *app.Config) {
		c.API, c.Migrate = false, false
		c.DatabaseURL = api.app.Config().DatabaseURL
		c.MetricsAddr = "127.0.0.1:0"
	})
	base := strings.TrimSuffix(d.app.MetricsURL(), "/metrics")
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("dispatcher %s: %d", path, res.StatusCode)
		}
	}
	if err := d.app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the dispatcher's probes still answer after Close")
	}
}
