// Package resilience_test kills, restarts and starves the parts around a
// running release — dispatcher processes, NATS, PostgreSQL connections,
// the SMTP server — and checks that every recipient gets the release, with
// duplicates bounded by the messages in flight when something died.
package resilience_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/app"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
)

// binary is the communique command the tests run as separate processes.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "communique-resilience")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "communique")
	if out, err := exec.Command("go", "build", "-o", binary, "github.com/communique/communique/cmd/communique").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build communique: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is an in-process Communiqué (API and relay, and the dispatcher
// when asked) on a database of its own.
type service struct {
	app *app.App
	db  *sqlx.DB
	dsn string
}

func startService(t *testing.T, cfg app.Config) *service {
	t.Helper()
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = pgtest.URL(t)
	}
	cfg.From = "Media Office <media@example.org>"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Secret, cfg.AdminToken = testSecret, "resilience-admin-token-0123456789abcdef"
	cfg.DataDir = t.TempDir()
	cfg.API, cfg.Migrate = true, true
	cfg.Clearance = "off"
	if cfg.Lease == 0 {
		cfg.Lease = 3 * time.Second
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 200 * time.Millisecond
	}
	if cfg.RetryMaxAge == 0 {
		cfg.RetryMaxAge = time.Hour
	}
	a := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { a.Close() })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &service{app: a, db: a.DB, dsn: cfg.DatabaseURL}
}

// serviceAt is a service run as separate processes, seen through its
// database at dsn.
func serviceAt(t *testing.T, dsn string) *service {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &service{db: db, dsn: dsn}
}

// audience creates n journalists following Mauritania and a press officer.
func (s *service) audience(t *testing.T, n int) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO contacts (email, name, kind, country, languages) VALUES
			('press@example.org', 'Press', 'press_officer', 'CH', '{en}')`,
		`INSERT INTO contacts (email, name, kind, country, languages)
			SELECT 'r' || g || '@example.net', 'Reader ' || g, 'journalist', 'FR',
				(ARRAY['{fr}', '{en}', '{es,en}'])[g % 3 + 1]::text[]
			FROM generate_series(1, ` + fmt.Sprint(n) + `) g`,
		`INSERT INTO subscriptions (contact_id, kind, value)
			SELECT id, 'country', 'MR' FROM contacts WHERE kind = 'journalist'`,
		`ANALYZE`,
	} {
		pgtest.Exec(t, s.db, q)
	}
}

func (s *service) publish(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := releases.Create(ctx, s.db, &releases.Release{
		Slug: "release", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Accord signé", Body: "Un bureau **ouvre**."},
			"en": {Title: "Agreement signed", Body: "An office **opens**."},
			"es": {Title: "Acuerdo firmado", Body: "Una oficina **abre**."},
		},
		Countries: []string{"MR"}, PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := releases.Publish(ctx, s.db, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (s *service) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := s.db.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitAllSent waits until every one of n deliveries is sent and the sink
// has heard from every recipient.
func (s *service) waitAllSent(t *testing.T, sk *sink, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sent := s.count(t, `SELECT count(*) FROM deliveries WHERE status = 'sent'`)
		_, distinct, _ := sk.counts()
		if sent == n && distinct == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d of %d deliveries sent, %d distinct recipients received", timeout, sent, n, distinct)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkReport checks the report counts every recipient as sent, once.
func (s *service) checkReport(t *testing.T, id int64, n int) {
	t.Helper()
	rep, err := releases.GetReport(context.Background(), s.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != n || rep.ByStatus["sent"] != n {
		t.Fatalf("report %+v, want %d sent", rep, n)
	}
}

// inFlightLost counts deliveries a dead worker claimed and never recorded:
// each was claimed again, so its attempts exceed its recorded attempts.
func (s *service) inFlightLost(t *testing.T) int {
	return s.count(t, `
		SELECT count(*) FROM deliveries d
		WHERE d.attempts > (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id)`)
}

// dispatcher runs `communique dispatch` as a process of its own.
type dispatcher struct {
	cmd *exec.Cmd
	out *strings.Builder
}

func startDispatcher(t *testing.T, s *service, smtpURL string, extra ...string) *dispatcher {
	t.Helper()
	args := append([]string{"dispatch", "-database-url", s.dsn, "-nats-url", s.app.NATSURL(),
		"-smtp-url", smtpURL, "-from", "Media Office <media@example.org>", "-secret", testSecret,
		"-lease", "3s", "-retry-base", "200ms", "-log-level", "warn"}, extra...)
	cmd := exec.Command(binary, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &dispatcher{cmd: cmd, out: out}
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			d.cmd.Wait()
		}
	})
	return d
}

// testSecret is long enough for serve and dispatch, which refuse a short one.
const testSecret = "resilience-secret-0123456789abcdef0123"
