// Command bench measures the whole pipeline — PostgreSQL, NATS JetStream,
// the dispatcher and go-mail — publishing one release in three languages
// to N generated journalists. The dispatcher runs as separate `communique
// dispatch` processes, so its memory is measured alone; the API, the
// outbox relay, an embedded NATS server and a lean SMTP sink run in this
// process. It prints one JSON line of figures.
//
//	go run ./cmd/bench -n 100000
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/app"
	"github.com/communique/communique/demo"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
)

var cpuProfile string

type result struct {
	Recipients     int     `json:"recipients"`
	Dispatchers    int     `json:"dispatchers"`
	Concurrency    int     `json:"smtp_connections_per_dispatcher"`
	FirstMessageMS float64 `json:"publish_to_first_message_ms"`
	LastMessageMS  float64 `json:"publish_to_last_message_ms"`
	MessagesPerSec float64 `json:"messages_per_second"`
	PeakRSSMiB     float64 `json:"dispatcher_peak_rss_mib"`
	RowsPerSec     float64 `json:"db_rows_written_per_second"`
	Sent           int     `json:"deliveries_recorded_sent"`
	Received       int64   `json:"messages_received"`
}

func main() {
	n := flag.Int("n", 10000, "recipients")
	conc := flag.Int("concurrency", 16, "SMTP connections per dispatcher process")
	procs := flag.Int("dispatchers", 1, "dispatcher processes")
	server := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (a scratch database is created and dropped)")
	natsURL := flag.String("nats-url", "", "NATS server; empty runs an embedded one")
	flag.StringVar(&cpuProfile, "cpu-profile", "", "write the first dispatcher's CPU profile to this file")
	flag.Parse()
	if err := run(*n, *conc, *procs, *server, *natsURL); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, conc, procs int, server, natsURL string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "communique-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "communique")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/communique").CombinedOutput(); err != nil {
		return fmt.Errorf("build communique (run from the repository root): %v\n%s", err, out)
	}
	dsn, drop, err := scratchDB(ctx, server)
	if err != nil {
		return err
	}
	defer drop()

	sink, err := startSink()
	if err != nil {
		return err
	}
	defer sink.close()

	// This process: migrations, API, relay, embedded NATS; no dispatcher.
	a := app.New(app.Config{
		DatabaseURL: dsn, NATSURL: natsURL,
		From:     "Media Office <media@example.org>",
		HTTPAddr: "127.0.0.1:0", Secret: benchSecret, AdminToken: benchSecret, DataDir: dir,
		API: true, Migrate: true, Clearance: "off",
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	if err := generate(ctx, a.DB, n); err != nil {
		return err
	}

	var children []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(bin, "dispatch", "-database-url", dsn, "-nats-url", a.NATSURL(),
			"-smtp-url", fmt.Sprintf("smtp://%s?tls=none&concurrency=%d", sink.addr, conc),
			"-from", "Media Office <media@example.org>", "-secret", benchSecret, "-log-level", "warn")
		if i == 0 && cpuProfile != "" {
			abs, _ := filepath.Abs(cpuProfile)
			cmd.Args = append(cmd.Args, "-cpu-profile", abs)
		}
		log, _ := os.Create(filepath.Join(dir, fmt.Sprintf("dispatch-%d.log", i)))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			return err
		}
		children = append(children, cmd)
	}
	defer func() {
		for _, c := range children {
			c.Process.Signal(os.Interrupt)
		}
		time.Sleep(200 * time.Millisecond)
	}()
	// A dispatcher that dies (a bad flag, a schema it does not know) ends
	// the run rather than leaving it waiting for messages that never come.
	died := make(chan error, len(children))
	for i, c := range children {
		go func() {
			err := c.Wait()
			log, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("dispatch-%d.log", i)))
			died <- fmt.Errorf("dispatcher %d exited (%v): %s", i, err, log)
		}()
	}
	time.Sleep(500 * time.Millisecond) // let the dispatchers create their consumers

	rel := demo.Release()
	rel.Slug = "bench-release"
	es := rel.Translations["en"]
	es.Title = "Mauritania y la Organización firman un acuerdo"
	rel.Translations["es"] = es
	rel.PressContacts = rel.PressContacts[:1]
	id, err := releases.Create(ctx, a.DB, &rel)
	if err != nil {
		return err
	}
	t0 := time.Now()
	sink.start(t0)
	if _, err := releases.Publish(ctx, a.DB, id); err != nil {
		return err
	}
	if err := sink.wait(int64(n), 60*time.Minute, died); err != nil {
		return err
	}
	first, last := sink.times()

	var sent, attempts int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if a.DB.Get(&sent, `SELECT count(*) FROM deliveries WHERE status = 'sent'`); sent >= n {
			break
		}
	}
	a.DB.Get(&attempts, `SELECT count(*) FROM delivery_attempts`)
	var rss float64
	for _, c := range children {
		rss = max(rss, peakRSS(c.Process.Pid))
	}
	// Each delivery is inserted, claimed (update) and recorded (update),
	// with one attempt row.
	rows := float64(3*n + attempts)
	out, _ := json.Marshal(result{
		Recipients: n, Dispatchers: procs, Concurrency: conc,
		FirstMessageMS: ms(first), LastMessageMS: ms(last),
		MessagesPerSec: float64(n) / last.Seconds(),
		PeakRSSMiB:     rss,
		RowsPerSec:     rows / last.Seconds(),
		Sent:           sent, Received: sink.count.Load(),
	})
	fmt.Println(string(out))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// generate creates n active journalists following Mauritania, reading
// French, English or Spanish, and the press officer the release names.
func generate(ctx context.Context, db *sqlx.DB, n int) error {
	for _, q := range []string{
		`INSERT INTO topics (slug, names) VALUES ('migration-governance', '{}')`,
		`INSERT INTO contacts (email, name, kind, country, languages, timezone) VALUES
			('press.officer@example.org', 'Nora Belkacem', 'press_officer', 'CH', '{fr,en}', 'Europe/Zurich')`,
		`INSERT INTO contacts (email, name, kind, organisation, country, languages, timezone)
			SELECT 'reader' || g || '@example.net', 'Reader ' || g, 'journalist', 'Outlet ' || (g % 100), 'FR',
				(ARRAY['{fr}', '{en,fr}', '{es,en}'])[g % 3 + 1]::text[], 'Europe/Paris'
			FROM generate_series(1, $1) g`,
		`INSERT INTO subscriptions (contact_id, kind, value)
			SELECT id, 'country', 'MR' FROM contacts WHERE kind = 'journalist'`,
		`ANALYZE`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("generate contacts: %w", err)
		}
	}
	return nil
}

// peakRSS is a process's peak resident set in MiB.
func peakRSS(pid int) float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func scratchDB(ctx context.Context, server string) (string, func(), error) {
	admin, err := postgres.Open(ctx, server)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "communique_bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, _ := url.Parse(server)
	u.Path = "/" + name
	return u.String(), func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
		admin.Close()
	}, nil
}

// benchSecret is long enough for dispatch, which refuses a short secret.
const benchSecret = "bench-secret-0123456789abcdef0123456789"
