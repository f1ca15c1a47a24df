// Command bench measures the whole pipeline — PostgreSQL, NATS JetStream,
// the dispatcher and go-mail — publishing one release to N generated
// recipients in three languages, into an SMTP sink it runs itself. It
// prints one JSON line of figures.
//
//	go run ./cmd/bench -n 10000
package main

import (
	"bytes"
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
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/communique/communique/app"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/demo"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
)

type result struct {
	Recipients     int     `json:"recipients"`
	Concurrency    int     `json:"smtp_concurrency"`
	ImportSeconds  float64 `json:"import_seconds"`
	FirstMessageMS float64 `json:"publish_to_first_message_ms"`
	LastMessageMS  float64 `json:"publish_to_last_message_ms"`
	MessagesPerSec float64 `json:"messages_per_second"`
	PeakRSSMiB     float64 `json:"peak_rss_mib"`
	DeliveriesSent int     `json:"deliveries_recorded_sent"`
}

func main() {
	n := flag.Int("n", 10000, "recipients")
	conc := flag.Int("concurrency", 8, "SMTP connections")
	server := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (a scratch database is created and dropped)")
	natsURL := flag.String("nats-url", "", "NATS server; empty runs an embedded one")
	flag.Parse()
	if err := run(*n, *conc, *server, *natsURL); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, conc int, server, natsURL string) error {
	ctx := context.Background()
	dsn, drop, err := scratchDB(ctx, server)
	if err != nil {
		return err
	}
	defer drop()

	sink := mailbox.New(mailbox.Options{Limit: 1})
	addr, err := sink.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sink.Close()
	dir, _ := os.MkdirTemp("", "communique-bench")
	defer os.RemoveAll(dir)

	a := app.New(app.Config{
		DatabaseURL: dsn, NATSURL: natsURL,
		SMTPURL:  fmt.Sprintf("smtp://%s?tls=none&concurrency=%d", addr, conc),
		From:     "Media Office <media@example.org>",
		HTTPAddr: "127.0.0.1:0", Secret: "bench", AdminToken: "bench", DataDir: dir,
		API: true, Dispatcher: true, Migrate: true,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	if err := demo.Load(ctx, a.DB); err != nil { // topics and press officers
		return err
	}

	start := time.Now()
	if _, err := contacts.Import(ctx, a.DB, generate(n), contacts.ImportOptions{Source: "bench"}); err != nil {
		return err
	}
	importTime := time.Since(start)

	rel := demo.Release()
	rel.Slug = "bench-release"
	es := rel.Translations["en"]
	es.Title = "Mauritania y la Organización firman un acuerdo"
	rel.Translations["es"] = es
	id, err := releases.Create(ctx, a.DB, &rel)
	if err != nil {
		return err
	}
	before := sink.Count()
	t0 := time.Now()
	if _, err := releases.Publish(ctx, a.DB, id); err != nil {
		return err
	}
	var first time.Duration
	for sink.Count() == before {
		time.Sleep(200 * time.Microsecond)
	}
	first = time.Since(t0)
	// Everyone the demo release reaches, generated or demo.
	var want int
	for {
		if err := a.DB.Get(&want, `SELECT count(*) FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id WHERE s.release_id = $1`, id); err != nil {
			return err
		}
		if want >= n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := sink.Wait(wctx, before+want); err != nil {
		return fmt.Errorf("waiting for %d messages: %w", want, err)
	}
	last := time.Since(t0)
	// Outcomes are recorded just after the SMTP reply: wait for the last.
	var sent int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if a.DB.Get(&sent, `SELECT count(*) FROM deliveries WHERE status = 'sent'`); sent >= want {
			break
		}
	}

	out, _ := json.Marshal(result{
		Recipients: want, Concurrency: conc,
		ImportSeconds:  importTime.Seconds(),
		FirstMessageMS: ms(first), LastMessageMS: ms(last),
		MessagesPerSec: float64(want) / last.Seconds(),
		PeakRSSMiB:     peakRSS(),
		DeliveriesSent: sent,
	})
	fmt.Println(string(out))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// generate writes n journalists who all follow Mauritania, reading French,
// English or Spanish.
func generate(n int) io.Reader {
	var b bytes.Buffer
	b.WriteString("email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n")
	langs := []string{"fr", "en", "es"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "reader%d@example.net,Reader %d,journalist,Outlet %d,FR,%s,Europe/Paris,false,,MR,,,\n", i, i, i%100, langs[i%3])
	}
	return &b
}

// peakRSS is the process's peak resident set (the whole benchmark: the
// service and the SMTP sink together).
func peakRSS() float64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
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
