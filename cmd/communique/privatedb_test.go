package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/app"
	"github.com/communique/communique/logtest"
)

// privateDev is a `communique dev -private-db` running in the test.
type privateDev struct {
	token, base string // the admin token and the web address
	releaseURL  string // the demo release's API address
	dbURL       string // the private cluster's database
	port        int
	stop        func() error
}

var privateBanner = regexp.MustCompile(`Database: +(postgres://postgres@127\.0\.0\.1:(\d+)/communique\?sslmode=disable) \(private PostgreSQL \d+ in (\S+), stopped with dev\)`)

// startPrivateDev runs dev on a private cluster in dataDir, as a user
// would, until its banner is printed.
func startPrivateDev(t *testing.T, dataDir string) privateDev {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "-private-db", "-data-dir", dataDir, "-http-addr", "127.0.0.1:0", "-log-level", "warn"}, &stdout, io.Discard)
	}()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("dev did not shut down")
		}
	}
	// Whatever happens to the test, its server does not outlive it.
	t.Cleanup(func() { stop() })
	publish := regexp.MustCompile(`curl -s -X POST -H 'Authorization: Bearer (\S+)' ((\S+)/api/v1/releases/\d+)/publish`)
	var m []string
	for deadline := time.Now().Add(90 * time.Second); m == nil; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("dev exited: %v\n%s", err, stdout.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s", stdout.String())
		}
		m = publish.FindStringSubmatch(stdout.String())
	}
	db := privateBanner.FindStringSubmatch(stdout.String())
	if db == nil {
		t.Fatalf("the banner does not say dev uses a private PostgreSQL:\n%s", stdout.String())
	}
	if want := filepath.Join(dataDir, "postgres"); db[3] != want {
		t.Fatalf("the private cluster is in %s, want %s", db[3], want)
	}
	port, _ := strconv.Atoi(db[2])
	return privateDev{token: m[1], releaseURL: m[2], base: m[3], dbURL: db[1], port: port, stop: stop}
}

func systemIdentifier(t *testing.T, dbURL string) int64 {
	t.Helper()
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.Get(&id, `SELECT system_identifier FROM pg_control_system()`); err != nil {
		t.Fatalf("the banner's database %s: %v", dbURL, err)
	}
	return id
}

// TestDevPrivateDB runs `communique dev -private-db` as a user would: it
// comes up on a cluster of its own, publishes the demo release into the
// capture mailbox, and stops the cluster when it stops, keeping its files;
// the next start reuses them.
func TestDevPrivateDB(t *testing.T) {
	// Only a database URL left at its default lets dev start a cluster.
	t.Setenv("COMMUNIQUE_DATABASE_URL", "")
	dataDir := t.TempDir()
	dev := startPrivateDev(t, dataDir)
	if dev.port == 5432 {
		t.Fatalf("the private cluster took the machine's port: %s", dev.dbURL)
	}
	id := systemIdentifier(t, dev.dbURL)

	req, _ := http.NewRequest("POST", dev.releaseURL+"/publish", nil)
	req.Header.Set("Authorization", "Bearer "+dev.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("publish the demo release: %d", resp.StatusCode)
	}
	var sent int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var msgs []json.RawMessage
		r, err := http.Get(dev.base + "/dev/mailbox.json")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&msgs)
		r.Body.Close()
		rep := report(t, dev.releaseURL+"/report", dev.token)
		if rep.Total >= 20 && len(msgs) == rep.Total && rep.ByStatus["sent"] == rep.Total {
			sent = rep.Total
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailbox has %d messages, report %+v", len(msgs), rep)
		}
	}

	if err := dev.stop(); err != nil {
		t.Fatalf("dev after SIGTERM: %v", err)
	}
	cluster := filepath.Join(dataDir, "postgres")
	if _, err := os.Stat(filepath.Join(cluster, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after dev stopped, postmaster.pid: %v", err)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(dev.port), time.Second); err == nil {
		c.Close()
		t.Fatalf("something still answers on the private cluster's port %d after dev stopped", dev.port)
	}
	if _, err := os.Stat(filepath.Join(cluster, "PG_VERSION")); err != nil {
		t.Fatalf("dev did not leave the cluster's files for the next start: %v", err)
	}

	again := startPrivateDev(t, dataDir)
	if got := systemIdentifier(t, again.dbURL); got != id {
		t.Fatalf("the second start's cluster is %d, the first's %d: not reused", got, id)
	}
	if rep := report(t, again.releaseURL+"/report", again.token); rep.Total != sent || rep.ByStatus["sent"] != sent {
		t.Fatalf("after a restart the demo release's report is %+v, was %d sent", rep, sent)
	}
	if err := again.stop(); err != nil {
		t.Fatalf("second dev after SIGTERM: %v", err)
	}
}

// dev starts a private cluster when no server answers at the default
// URL, never when the URL was given, and refuses both at once.
func TestDevDatabaseChoice(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent := "postgres://postgres@" + ln.Addr().String() + "/communique?sslmode=disable"
	ln.Close()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)

	given := app.Config{DatabaseURL: silent, DataDir: t.TempDir()}
	db, err := devDatabase(ctx, &given, true, false, log)
	if err != nil || db.cluster != nil || given.DatabaseURL != silent {
		t.Fatalf("a given URL: cluster %v, URL %s, %v", db.cluster, given.DatabaseURL, err)
	}
	if _, err := os.Stat(filepath.Join(given.DataDir, "postgres")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a given URL made a cluster directory: %v", err)
	}
	if _, err := devDatabase(ctx, &given, true, true, log); err == nil || !strings.Contains(err.Error(), "-private-db and COMMUNIQUE_DATABASE_URL") {
		t.Fatalf("-private-db with a given URL: %v", err)
	}

	machine := app.Config{DatabaseURL: "postgres://postgres@127.0.0.1:5432/communique?sslmode=disable", DataDir: t.TempDir()}
	if db, err := devDatabase(ctx, &machine, false, false, log); err != nil || db.cluster != nil {
		t.Fatalf("with the machine's server answering: cluster %v, %v", db.cluster, err)
	}

	fallback := app.Config{DatabaseURL: silent, DataDir: t.TempDir()}
	db, err = devDatabase(ctx, &fallback, false, false, log)
	if err != nil || db.cluster == nil {
		t.Fatalf("no server at the default URL: cluster %v, %v", db.cluster, err)
	}
	defer db.cluster.Stop()
	if fallback.DatabaseURL != db.cluster.URL("communique") || !strings.Contains(db.about, "private PostgreSQL") {
		t.Fatalf("fell back to %s (%s), the cluster serves %s", fallback.DatabaseURL, db.about, db.cluster.URL("communique"))
	}
	if err := db.cluster.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A dev that fails after starting its private cluster stops the cluster
// too, and -private-db belongs to dev alone.
func TestDevPrivateDBStopsWhenDevFails(t *testing.T) {
	t.Setenv("COMMUNIQUE_DATABASE_URL", "")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dataDir := t.TempDir()
	var stderr logtest.Buffer
	err = run(context.Background(), []string{"dev", "-private-db", "-data-dir", dataDir, "-http-addr", taken.Addr().String()}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "listen on "+taken.Addr().String()) {
		t.Fatalf("dev on a taken port: %v", err)
	}
	m := regexp.MustCompile(`private PostgreSQL started" .* port=(\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("dev failed before it started its cluster:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postgres", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after dev failed, postmaster.pid: %v\n%s", err, stderr.String())
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+m[1], time.Second); err == nil {
		c.Close()
		t.Fatalf("the private cluster still answers on port %s after dev failed", m[1])
	}

	if err := run(context.Background(), []string{"serve", "-private-db"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "-private-db is for dev only") {
		t.Fatalf("serve -private-db: %v", err)
	}
}
