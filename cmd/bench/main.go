// Command bench measures the whole pipeline — PostgreSQL, NATS JetStream,
// the dispatcher and go-mail — publishing one release in three languages
// to N generated journalists. The dispatcher runs as separate `communique
// dispatch` processes, so its memory is measured alone; the API, the
// outbox relay, an embedded NATS server and the SMTP sink run in this
// process. Before publishing and after the last record, it sends the same
// messages to the same sink through the dispatcher's raw send with no
// database or NATS (the ceiling), from this process and from a process of
// its own, and it accounts for the WAL, the rows and the CPU of every
// process per delivery. It prints one JSON line of figures.
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
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/app"
	"github.com/communique/communique/demo"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
)

var (
	cpuProfile      string
	benchCPUProfile string
	withCeiling     bool
	withStatements  bool
	withWALInspect  bool
	ceilingN        int
	setupSQL        string
	sinkKind        string
	// window is the SMTP targets' window, the dispatchers' and the
	// ceilings' alike.
	window int
)

type result struct {
	Recipients     int     `json:"recipients"`
	Dispatchers    int     `json:"dispatchers"`
	Concurrency    int     `json:"smtp_connections_per_dispatcher"`
	Window         int     `json:"smtp_window"`
	FirstMessageMS float64 `json:"publish_to_first_message_ms"`
	LastMessageMS  float64 `json:"publish_to_last_message_ms"`
	// The longest time the sink went without a message, first to last.
	LongestPauseMS float64 `json:"longest_pause_ms"`
	// Messages per second in each tenth of the run, publish to last.
	RateByTenth [10]float64 `json:"messages_per_second_by_tenth"`
	// The share of the machine's CPU time no process used, publish to
	// last message: work waiting on round trips rather than on the CPU.
	Idle           float64 `json:"machine_idle"`
	MessagesPerSec float64 `json:"messages_per_second"`
	PeakRSSMiB     float64 `json:"dispatcher_peak_rss_mib"`
	// The first dispatcher's resident set as a quarter, half, three
	// quarters and all of the messages had arrived: flat, or growing.
	RSSByQuarter [4]float64 `json:"dispatcher_rss_mib_by_quarter"`
	RowsPerSec   float64    `json:"db_rows_written_per_second"`
	Sent         int        `json:"deliveries_recorded_sent"`
	Received     int64      `json:"messages_received"`
	Sink         string     `json:"sink"`

	// The same messages sent to the same sink over as many connections,
	// through the dispatcher's raw send, with no database or NATS: built
	// once per language (ceiling), or composed per recipient as a worker
	// does (composed). Ratio is the product's rate over the ceiling's.
	CeilingPerSec float64 `json:"ceiling_msgs_per_s,omitempty"`
	// The ceiling runs before publishing and again after the last record;
	// another load on the machine only lowers it, so the better counts.
	CeilingRuns    [2]float64 `json:"ceiling_before_after_msgs_per_s,omitempty"`
	Ratio          float64    `json:"ratio,omitempty"`
	ComposedPerSec float64    `json:"ceiling_composed_msgs_per_s,omitempty"`
	RatioComposed  float64    `json:"ratio_composed,omitempty"`
	// This process's CPU (sender and sink) per 100,000 ceiling messages.
	CeilingCPU  float64 `json:"ceiling_cpu_s_per_100k,omitempty"`
	CeilingIdle float64 `json:"ceiling_machine_idle,omitempty"`
	ComposedCPU float64 `json:"ceiling_composed_cpu_s_per_100k,omitempty"`
	// CPURatio is the ceiling's CPU per message over the product's, all
	// processes counted: unlike the rates, hardly moved by other loads.
	CPURatio float64 `json:"cpu_ratio,omitempty"`
	// The ceiling again with its sender in a process of its own, as the
	// dispatcher is (see ceilingProcess), before and after the product's
	// run; the ratio and the CPU ratio against it.
	ProcessPerSec   float64    `json:"ceiling_process_msgs_per_s,omitempty"`
	ProcessRuns     [2]float64 `json:"ceiling_process_before_after_msgs_per_s,omitempty"`
	RatioProcess    float64    `json:"ratio_process,omitempty"`
	ProcessCPU      float64    `json:"ceiling_process_cpu_s_per_100k,omitempty"`
	ProcessIdle     float64    `json:"ceiling_process_machine_idle,omitempty"`
	CPURatioProcess float64    `json:"cpu_ratio_process,omitempty"`

	// From publishing until every delivery is recorded sent.
	RecordedMS float64 `json:"publish_to_all_recorded_ms"`
	// WAL is the whole server's, between publishing and the last record.
	WALPerDelivery float64 `json:"wal_bytes_per_delivery"`
	// Row changes per delivery by table, from pg_stat_user_tables.
	RowsPerDelivery map[string]tableCounts `json:"rows_per_delivery"`
	// CPU seconds per 100,000 deliveries, publish to last record: the
	// dispatch processes, this process (API, relay, NATS, sink), the
	// scratch database's backends and the server's own processes.
	CPU map[string]float64 `json:"cpu_s_per_100k"`
	// Size of the deliveries table and of its indexes after the run, per
	// delivery: what a change of layout (a fillfactor) costs on disk.
	DeliveriesHeapBytes  float64   `json:"deliveries_heap_bytes_per_delivery"`
	DeliveriesIndexBytes float64   `json:"deliveries_index_bytes_per_delivery"`
	LoadAvg              [2]string `json:"loadavg_before_after"`

	Statements     []statement   `json:"statements,omitempty"`
	StatementsNote string        `json:"statements_note,omitempty"`
	WALByRelation  []walRelation `json:"wal_per_delivery_by_relation,omitempty"`
}

func main() {
	if spec := os.Getenv(senderEnv); spec != "" {
		if err := runSender(spec); err != nil {
			fmt.Fprintln(os.Stderr, "bench: ceiling sender:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 10000, "recipients")
	conc := flag.Int("concurrency", 16, "SMTP connections per dispatcher process")
	procs := flag.Int("dispatchers", 1, "dispatcher processes")
	server := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (a scratch database is created and dropped)")
	natsURL := flag.String("nats-url", "", "NATS server; empty runs an embedded one")
	flag.StringVar(&cpuProfile, "cpu-profile", "", "write the first dispatcher's CPU profile to this file")
	flag.StringVar(&benchCPUProfile, "bench-cpu-profile", "", "write this process's CPU profile (API, relay, NATS, sink), publish to last record, to this file")
	flag.BoolVar(&withCeiling, "ceiling", true, "also send the same messages with no database or NATS, and report the ratio")
	flag.IntVar(&ceilingN, "ceiling-n", 200000, "messages per ceiling run, at most -n: the ceiling's rate hardly depends on the count")
	flag.StringVar(&setupSQL, "setup-sql", "", "SQL run on the scratch database after migrating, before the contacts are made (to try a schema change, such as a table's fillfactor, without a migration)")
	flag.StringVar(&sinkKind, "sink", "go-smtp", "the SMTP sink: go-smtp (emersion/go-smtp, which writes each reply on its own), lean (answers pipelined commands in one write, as Postfix does), or lean-ids (lean, naming each message with a queue id as Postfix does, which the dispatcher records)")
	flag.BoolVar(&withStatements, "statements", false, "report the top statements from pg_stat_statements, when the server preloads it")
	flag.IntVar(&window, "window", 1, "the SMTP target's window, for the dispatchers and the ceilings: messages a connection keeps unanswered, with BDAT, where the sink offers CHUNKING (go-smtp does)")
	flag.BoolVar(&withWALInspect, "wal-inspect", false, "attribute the run's WAL to tables and indexes with pg_walinspect (slow)")
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

	sink, err := startSink(sinkKind)
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
	if setupSQL != "" {
		if _, err := a.DB.ExecContext(ctx, setupSQL); err != nil {
			return fmt.Errorf("-setup-sql: %w", err)
		}
	}
	if err := generate(ctx, a.DB, n); err != nil {
		return err
	}

	var children []*exec.Cmd
	for i := 0; i < procs; i++ {
		cmd := exec.Command(bin, "dispatch", "-database-url", dsn, "-nats-url", a.NATSURL(),
			"-smtp-url", fmt.Sprintf("smtp://%s?tls=none&concurrency=%d&window=%d", sink.addr, conc, window),
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
	var cm *ceilingMessages
	var pre, preProcess ceilingRun
	if withCeiling {
		if cm, err = prepareCeiling(ctx, a.DB, id); err != nil {
			return err
		}
		ceilingN = min(max(ceilingN, 1), n)
		if pre, err = measureCeiling(ctx, sink, cm, ceilingN, n, conc, false); err != nil {
			return err
		}
		if preProcess, err = ceilingProcess(ctx, sink, dsn, id, ceilingN, n, conc); err != nil {
			return err
		}
	}

	u, _ := url.Parse(dsn)
	dbName := strings.TrimPrefix(u.Path, "/")
	var res result
	res.LoadAvg[0] = loadAvg()
	if withStatements {
		if note, ok := statementsReady(ctx, a.DB); !ok {
			res.StatementsNote = note
			withStatements = false
		}
	}
	tablesBefore, err := settledTables(ctx, a.DB)
	if err != nil {
		return err
	}
	lsn0, err := walLSN(ctx, a.DB)
	if err != nil {
		return err
	}
	stopProfile, err := profileSelf(benchCPUProfile)
	if err != nil {
		return err
	}
	dispCPU0 := make([]float64, len(children))
	for i, c := range children {
		dispCPU0[i] = procCPU(c.Process.Pid)
	}
	self0 := procCPU(os.Getpid())
	pgc := startPGCPU(dbName)
	rssDone := make(chan [4]float64, 1)
	stopRSS := make(chan struct{})
	go func() { rssDone <- rssByQuarter(children[0].Process.Pid, sink, int64(n), stopRSS) }()

	idle0, ticks0 := machineTicks()
	t0 := time.Now()
	sink.start(t0)
	if _, err := releases.Publish(ctx, a.DB, id); err != nil {
		return err
	}
	if err := sink.wait(int64(n), 2*time.Minute, died); err != nil {
		return fmt.Errorf("%w\n%s", err, logTails(dir, len(children)))
	}
	first, last, pause := sink.times()
	res.Idle = idleSince(idle0, ticks0)
	res.RateByTenth = sink.byTenth()

	var sent, attempts int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if a.DB.Get(&sent, `SELECT count(*) FROM deliveries WHERE status = 'sent'`); sent >= n {
			break
		}
	}
	recorded := time.Since(t0)
	lsn1, err := walLSN(ctx, a.DB)
	if err != nil {
		return err
	}
	var dispCPU float64
	for i, c := range children {
		dispCPU += procCPU(c.Process.Pid) - dispCPU0[i]
	}
	selfCPU := procCPU(os.Getpid()) - self0
	pgBackends, pgServer := pgc.end()
	close(stopRSS)
	res.RSSByQuarter = <-rssDone
	stopProfile()
	res.LoadAvg[1] = loadAvg()

	a.DB.Get(&attempts, `SELECT count(*) FROM delivery_attempts`)
	var rss float64
	for _, c := range children {
		rss = max(rss, peakRSS(c.Process.Pid))
	}
	// Stopped now, the dispatchers report their backends' last counts and
	// leave the machine to the ceiling.
	for _, c := range children {
		c.Process.Signal(os.Interrupt)
	}
	for range children {
		select {
		case <-died:
		case <-time.After(15 * time.Second):
		}
	}
	children = nil

	wal, err := walBytes(ctx, a.DB, lsn0, lsn1)
	if err != nil {
		return err
	}
	if res.RowsPerDelivery, err = tablesPerDelivery(ctx, a.DB, tablesBefore, n); err != nil {
		return err
	}
	var size struct {
		Heap    float64 `db:"heap"`
		Indexes float64 `db:"indexes"`
	}
	if err := a.DB.GetContext(ctx, &size, `
		SELECT pg_table_size('deliveries') AS heap, pg_indexes_size('deliveries') AS indexes`); err != nil {
		return fmt.Errorf("size of deliveries: %w", err)
	}
	res.DeliveriesHeapBytes = math.Round(size.Heap / float64(n))
	res.DeliveriesIndexBytes = math.Round(size.Indexes / float64(n))
	if withStatements {
		if res.Statements, err = topStatements(ctx, a.DB, 15); err != nil {
			return err
		}
	}
	if withWALInspect {
		if res.WALByRelation, err = walByRelation(ctx, a.DB, lsn0, lsn1, n); err != nil {
			return err
		}
	}

	// Each delivery is inserted, claimed (update) and recorded (update),
	// with one attempt row.
	rows := float64(3*n + attempts)
	per100k := func(s float64) float64 { return math.Round(s*100000/float64(n)*100) / 100 }
	res.Recipients, res.Dispatchers, res.Concurrency, res.Window = n, procs, conc, window
	res.FirstMessageMS, res.LastMessageMS, res.RecordedMS = ms(first), ms(last), ms(recorded)
	res.LongestPauseMS = ms(pause)
	res.MessagesPerSec = math.Round(float64(n) / last.Seconds())
	res.PeakRSSMiB = rss
	res.RowsPerSec = math.Round(rows / last.Seconds())
	res.Sent, res.Received, res.Sink = sent, sink.count.Load(), sinkKind
	res.WALPerDelivery = math.Round(wal / float64(n))
	res.CPU = map[string]float64{
		"dispatchers": per100k(dispCPU), "bench_process": per100k(selfCPU),
		"postgres_backends": per100k(pgBackends), "postgres_server": per100k(pgServer),
	}

	if withCeiling {
		// The run's writes call for an autovacuum of deliveries, which
		// would take its CPU from the ceiling: it is done first, as the
		// contacts' was before the first ceiling.
		if _, err := a.DB.ExecContext(ctx, `VACUUM`); err != nil {
			return fmt.Errorf("vacuum before the ceiling: %w", err)
		}
		post, err := measureCeiling(ctx, sink, cm, ceilingN, n, conc, false)
		if err != nil {
			return err
		}
		composed, err := measureCeiling(ctx, sink, cm, ceilingN, n, conc, true)
		if err != nil {
			return err
		}
		postProcess, err := ceilingProcess(ctx, sink, dsn, id, ceilingN, n, conc)
		if err != nil {
			return err
		}
		res.CeilingRuns = [2]float64{pre.rate, post.rate}
		res.CeilingPerSec = max(pre.rate, post.rate)
		res.Ratio = round3(res.MessagesPerSec / res.CeilingPerSec)
		res.CeilingCPU = per100k((pre.cpu + post.cpu) / 2)
		res.CeilingIdle = round3((pre.idle + post.idle) / 2)
		res.ComposedPerSec, res.ComposedCPU = composed.rate, per100k(composed.cpu)
		res.RatioComposed = round3(res.MessagesPerSec / composed.rate)
		var total float64
		for _, v := range res.CPU {
			total += v
		}
		res.CPURatio = round3(res.CeilingCPU / total)
		res.ProcessRuns = [2]float64{preProcess.rate, postProcess.rate}
		res.ProcessPerSec = max(res.ProcessRuns[0], res.ProcessRuns[1])
		res.RatioProcess = round3(res.MessagesPerSec / res.ProcessPerSec)
		res.ProcessCPU = per100k((preProcess.cpu + postProcess.cpu) / 2)
		res.ProcessIdle = round3((preProcess.idle + postProcess.idle) / 2)
		res.CPURatioProcess = round3(res.ProcessCPU / total)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return nil
}

type ceilingRun struct{ rate, cpu, idle float64 }

// measureCeiling runs the ceiling, timing it and its CPU (the sender's
// and the sink's, both in this process).
func measureCeiling(ctx context.Context, s *sink, m *ceilingMessages, n, total, conc int, composeEach bool) (ceilingRun, error) {
	c0 := procCPU(os.Getpid())
	idle0, ticks0 := machineTicks()
	rate, err := ceiling(ctx, s, m, n, conc, composeEach)
	if err != nil {
		return ceilingRun{}, err
	}
	// CPU is per message of the product's run: scaled to its count.
	return ceilingRun{rate: math.Round(rate), cpu: (procCPU(os.Getpid()) - c0) * float64(total) / float64(n),
		idle: idleSince(idle0, ticks0)}, nil
}

// rssByQuarter samples a process's resident set while the sink counts
// messages, keeping the sample taken as each quarter of n had arrived.
func rssByQuarter(pid int, s *sink, n int64, stop <-chan struct{}) (out [4]float64) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for q := 0; q < 4; {
		select {
		case <-stop:
			for ; q < 4; q++ {
				out[q] = math.Round(procRSS(pid)*10) / 10
			}
			return out
		case <-t.C:
		}
		for q < 4 && s.count.Load() >= n*int64(q+1)/4 {
			out[q] = math.Round(procRSS(pid)*10) / 10
			q++
		}
	}
	<-stop
	return out
}

// loadAvg is the 1, 5 and 15-minute load averages: a run on a machine
// busy with something else says so.
func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// profileSelf writes this process's CPU profile to path until the
// returned function is called; no path, no profile.
func profileSelf(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
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
		// Vacuumed as well as analyzed: the insert-driven autovacuum of
		// a million contacts would otherwise run during the ceiling or the
		// product's run, and slow whichever it met.
		`VACUUM ANALYZE`,
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
func peakRSS(pid int) float64 { return procStatus(pid, "VmHWM:") }

// procRSS is a process's resident set in MiB.
func procRSS(pid int) float64 { return procStatus(pid, "VmRSS:") }

// procStatus reads a size in kB from /proc/<pid>/status, in MiB.
func procStatus(pid int, field string) float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
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

// logTails returns the last lines of each dispatcher's log, which say why
// a run stalled.
func logTails(dir string, n int) string {
	var b strings.Builder
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("dispatch-%d.log", i))
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", name, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "dispatcher %d, last lines of its log:\n%s\n", i, strings.Join(lines[max(len(lines)-20, 0):], "\n"))
	}
	return b.String()
}
