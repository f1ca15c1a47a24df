package dispatcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/links"
	"github.com/communique/communique/logtest"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

// fixture is a migrated database (and its URL) holding the taxonomy, a
// press officer and n readers in MR, alternately English and French, and
// a JetStream with the project's streams.
func fixture(t *testing.T, n int) (*sqlx.DB, string, jetstream.JetStream) {
	t.Helper()
	ctx := context.Background()
	db, dsn := pgtest.DBURL(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n")
	csv.WriteString("press@example.org,Press,press_officer,Office,CH,en,UTC,true,,,,,\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&csv, "r%d@example.net,Reader %d,journalist,Outlet,FR,%s,UTC,false,,MR,,,\n", i, i, []string{"en", "fr"}[i%2])
	}
	if _, err := contacts.Import(ctx, db, strings.NewReader(csv.String()), contacts.ImportOptions{Source: "test"}); err != nil {
		t.Fatal(err)
	}
	nc, err := events.Connect(natstest.Embedded(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	return db, dsn, js
}

type bundle struct {
	db   *sqlx.DB
	js   jetstream.JetStream
	smtp *mailbox.Server
	disp *dispatcher.Dispatcher
}

func setup(t *testing.T, n int, reject func(from, to string) *smtp.SMTPError, opts ...func(*dispatcher.Config)) *bundle {
	t.Helper()
	ctx := context.Background()
	db, _, js := fixture(t, n)
	srv := mailbox.New(mailbox.Options{Reject: reject})
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	targets, _ := mailer.ParseTargets("smtp://" + addr + "?tls=none&concurrency=3")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := dispatcher.Config{
		DB: db, JS: js, Logger: log, Pools: []*mailer.Pool{mailer.NewPool(targets[0], "example.org")},
		Signer: links.NewSigner("s"), FromName: "Media", FromEmail: "media@example.org", BaseURL: "https://news.example.org",
		BatchSize: 40, RetryBase: 200 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	d := dispatcher.New(cfg)
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	relay := &outbox.Relay{DB: db, JS: js, Logger: log, Poll: 20 * time.Millisecond}
	relay.Start(ctx)
	t.Cleanup(relay.Stop)
	return &bundle{db: db, js: js, smtp: srv, disp: d}
}

func (b *bundle) publish(t *testing.T) int64 { return b.publishSlug(t, "r") }

func (b *bundle) publishSlug(t *testing.T, slug string) int64 {
	t.Helper()
	id := b.create(t, slug)
	if _, err := releases.Publish(context.Background(), b.db, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// create creates a draft release in English and French for the readers
// in MR.
func (b *bundle) create(t *testing.T, slug string) int64 {
	t.Helper()
	id, err := releases.Create(context.Background(), b.db, &releases.Release{
		Slug: slug, OriginalLanguage: "en",
		Translations:  map[string]releases.Translation{"en": {Title: "Title"}, "fr": {Title: "Titre"}},
		Countries:     []string{"MR"},
		PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (b *bundle) statuses(t *testing.T) map[string]int {
	t.Helper()
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := b.db.Select(&rows, `SELECT status, count(*) AS n FROM deliveries GROUP BY status`); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.Status] = r.N
	}
	return m
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A 550 5.1.1 bounces one delivery and suppresses its address, a 554 fails
// another, a 451 defers a third until it is retried with backoff, and none
// holds back the rest of the release. Every attempt is recorded: in
// batches smaller than a chunk, and in one batch of two chunks.
func TestRejectionsDeferAndFail(t *testing.T) {
	for _, size := range []int{40, 2 * dispatcher.Chunk} {
		t.Run(fmt.Sprintf("batch%d", size), func(t *testing.T) { testRejectionsDeferAndFail(t, size) })
	}
}

func testRejectionsDeferAndFail(t *testing.T, batch int) {
	var tempFailures atomic.Int32
	reject := func(from, to string) *smtp.SMTPError {
		switch to {
		case "r3@example.net":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case "r5@example.net":
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected by policy"}
		case "r7@example.net":
			if tempFailures.Add(1) <= 2 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
		}
		return nil
	}
	const n = 2 * dispatcher.Chunk
	b := setup(t, n, reject, func(c *dispatcher.Config) { c.BatchSize = batch })
	b.publish(t)
	waitFor(t, "every delivery to settle", func() bool {
		s := b.statuses(t)
		return s["sent"] == n-2 && s["failed"] == 1 && s["bounced"] == 1
	})
	var d struct {
		Attempts int    `db:"attempts"`
		Code     int    `db:"smtp_code"`
		Reply    string `db:"smtp_reply"`
	}
	if err := b.db.Get(&d, `SELECT attempts, smtp_code, smtp_reply FROM deliveries WHERE email = 'r3@example.net'`); err != nil {
		t.Fatal(err)
	}
	if d.Code != 550 || d.Attempts != 1 || !strings.Contains(d.Reply, "no such user") {
		t.Fatalf("bounced delivery: %+v", d)
	}
	var suppressed, contactBounced, policyContactActive int
	b.db.Get(&suppressed, `SELECT count(*) FROM suppressions WHERE email = 'r3@example.net' AND reason = 'bounced'`)
	b.db.Get(&contactBounced, `SELECT count(*) FROM contacts WHERE email = 'r3@example.net' AND status = 'bounced'`)
	b.db.Get(&policyContactActive, `SELECT count(*) FROM contacts WHERE email = 'r5@example.net' AND status = 'active'`)
	if suppressed != 1 || contactBounced != 1 || policyContactActive != 1 {
		t.Fatalf("hard bounce: suppressed %d, contact bounced %d; policy refusal left contact active: %d",
			suppressed, contactBounced, policyContactActive)
	}
	if err := b.db.Get(&d, `SELECT attempts, smtp_code, smtp_reply FROM deliveries WHERE email = 'r7@example.net'`); err != nil {
		t.Fatal(err)
	}
	if d.Code != 250 || d.Attempts != 3 {
		t.Fatalf("deferred then sent delivery: %+v (want 3 attempts)", d)
	}
	var attempts []struct {
		Status string `db:"status"`
		Code   int    `db:"smtp_code"`
	}
	b.db.Select(&attempts, `SELECT a.status, a.smtp_code FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE d.email = 'r7@example.net' ORDER BY a.attempt`)
	if len(attempts) != 3 || attempts[0].Code != 451 || attempts[1].Status != "deferred" || attempts[2].Status != "sent" {
		t.Fatalf("attempts of the deferred delivery: %+v", attempts)
	}
	var attemptRows int
	b.db.Get(&attemptRows, `SELECT count(*) FROM delivery_attempts`)
	if attemptRows != n+2 {
		t.Fatalf("%d attempt rows, want %d", attemptRows, n+2)
	}
	// Only the two deferrals, superseded, are rows of their own: every
	// other attempt is the one its delivery holds.
	var retryRows int
	b.db.Get(&retryRows, `SELECT count(*) FROM delivery_retries`)
	if retryRows != 2 {
		t.Fatalf("%d rows in delivery_retries, want the 2 deferrals", retryRows)
	}
	if got := b.smtp.Count(); got != n-2 {
		t.Fatalf("server received %d messages, want %d", got, n-2)
	}
	waitFor(t, "the dispatch to be done", func() bool {
		var status string
		b.db.Get(&status, `SELECT status FROM dispatches`)
		return status == "done"
	})
	// Only a retry to come keeps a time for it: the finished check and
	// the retry sweep find retries by it.
	var timed int
	b.db.Get(&timed, `SELECT count(*) FROM deliveries WHERE next_attempt_at IS NOT NULL`)
	if timed != 0 {
		t.Fatalf("%d settled deliveries keep a next attempt time", timed)
	}
}

// Stopping hands unfinished work back; a new dispatcher finishes it and
// nobody gets the release twice.
func TestStopHandsBackWork(t *testing.T) {
	const n = 600
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(2 * time.Millisecond); return nil }
	b := setup(t, n, slow)
	b.publish(t)
	waitFor(t, "the first messages", func() bool { return b.smtp.Count() > 20 })
	done := make(chan struct{})
	go func() { b.disp.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
	b.disp.Stop() // idempotent
	sentAtStop := b.smtp.Count()
	if sentAtStop >= n {
		t.Fatalf("all %d were sent before the stop took effect: the test no longer exercises a hand-back", n)
	}
	var leased int
	b.db.Get(&leased, `SELECT count(*) FROM deliveries WHERE status = 'queued' AND lease_until > now()`)
	if leased != 0 {
		t.Fatalf("%d deliveries still leased after Stop", leased)
	}

	// A second dispatcher on the same queue finishes the release.
	targets, _ := mailer.ParseTargets("smtp://" + b.smtp.Addr() + "?tls=none&concurrency=2")
	d2 := dispatcher.New(dispatcher.Config{
		DB: b.db, JS: b.js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Pools:  []*mailer.Pool{mailer.NewPool(targets[0], "example.org")},
		Signer: links.NewSigner("s"), FromName: "Media", FromEmail: "media@example.org", BaseURL: "https://news.example.org",
	})
	if err := d2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer d2.Stop()
	waitFor(t, "the rest", func() bool { return b.statuses(t)["sent"] == n })
	seen := map[string]int{}
	for _, m := range b.smtp.Messages() {
		seen[m.To[0]]++
	}
	for to, c := range seen {
		if c > 1 {
			t.Errorf("%s received %d copies", to, c)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct recipients, want %d", len(seen), n)
	}
	t.Logf("stopped after %d of %d messages; the second dispatcher sent the rest", sentAtStop, n)
}

// Releases published together progress together, and each release's
// languages go out side by side: nobody waits for a whole other release
// or language to finish.
func TestReleasesAndLanguagesShareTheQueue(t *testing.T) {
	const n = 3000
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(200 * time.Microsecond); return nil }
	b := setup(t, n, slow, func(c *dispatcher.Config) { c.Window = 500; c.BatchSize = 50 })
	first := b.publish(t)
	second := b.publishSlug(t, "second")
	waitFor(t, "a third of the messages", func() bool { return b.smtp.Count() >= (2*n)/3 })
	var rows []struct {
		Release  int64  `db:"release_id"`
		Language string `db:"language"`
		N        int    `db:"n"`
	}
	if err := b.db.Select(&rows, `
		SELECT s.release_id, d.language, count(*) AS n FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE d.status = 'sent' GROUP BY 1, 2 ORDER BY 1, 2`); err != nil {
		t.Fatal(err)
	}
	sent := map[int64]int{}
	for _, r := range rows {
		sent[r.Release] += r.N
		if r.N < n/10 {
			t.Errorf("release %d, %s: only %d sent while the others progressed: %+v", r.Release, r.Language, r.N, rows)
		}
	}
	if len(rows) != 4 || sent[first] >= n || sent[second] >= n {
		t.Fatalf("one release or language waited for another: %+v", rows)
	}
	t.Logf("a third of the way: %+v", rows)
}

// A large release never has more than its window queued: the planner
// waits for batches to be sent before it queues more.
func TestWindowPacesTheQueue(t *testing.T) {
	const n, batch, window = 600, 20, 100
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(2 * time.Millisecond); return nil }
	b := setup(t, n, slow, func(c *dispatcher.Config) { c.Window = window; c.BatchSize = batch })
	stream, err := b.js.Stream(context.Background(), events.WorkStream)
	if err != nil {
		t.Fatal(err)
	}
	b.publish(t)
	most := uint64(0)
	waitFor(t, "every delivery to be sent", func() bool {
		// Sent batches leave the work stream when acknowledged.
		if info, err := stream.Info(context.Background()); err == nil {
			most = max(most, info.State.Msgs)
		}
		return b.statuses(t)["sent"] == n
	})
	// A batch sent but not yet acknowledged may still be in the stream
	// when the planner queues the next.
	if most == 0 || most > 2*window/batch {
		t.Fatalf("at most %d batches of %d were queued at once, want 1 to %d", most, batch, 2*window/batch)
	}
	t.Logf("at most %d batches queued, of %d", most, n/batch)
	b.checkOnceEach(t, n)
}

// Deliveries of a planned dispatch whose batch messages were lost (a
// process died between recording and queueing them) are queued again by
// the sweep once the dispatch has sent nothing for a while.
func TestSweepRequeuesLostBatches(t *testing.T) {
	const n = 30
	b := setup(t, n, nil)
	ctx := context.Background()
	id, err := releases.Create(ctx, b.db, &releases.Release{
		Slug: "lost", OriginalLanguage: "en",
		Translations:  map[string]releases.Translation{"en": {Title: "Title"}},
		Countries:     []string{"MR"},
		PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, b.db, `UPDATE releases SET status = 'published', published_at = now() WHERE id = $1`, id)
	pgtest.Exec(t, b.db, `INSERT INTO dispatches (release_id, variant, status, planned_at) VALUES ($1, 'public', 'planned', now() - interval '10 minutes')`, id)
	pgtest.Exec(t, b.db, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language)
		SELECT s.id, c.id, c.email, 'en' FROM dispatches s, contacts c
		WHERE s.release_id = $1 AND c.kind = 'journalist'`, id)
	waitFor(t, "the swept deliveries to be sent", func() bool { return b.statuses(t)["sent"] == n })
	if got := b.smtp.Count(); got != n {
		t.Fatalf("server received %d messages, want %d", got, n)
	}
}

// A planned dispatch with nothing left to send is closed by the sweep,
// should the process that sent its last batch have died before closing
// it; one with a delivery still waiting is left open.
func TestSweepClosesFinishedDispatches(t *testing.T) {
	b := setup(t, 2, nil)
	ctx := context.Background()
	var ids struct{ Finished, Waiting int64 }
	if err := b.db.Get(&ids, `
		WITH r AS (INSERT INTO releases (slug, original_language, status) VALUES ('swept', 'en', 'published') RETURNING id),
		f AS (INSERT INTO dispatches (release_id, variant, status, planned_at) SELECT id, 'public', 'planned', now() FROM r RETURNING id),
		w AS (INSERT INTO dispatches (release_id, variant, status, planned_at) SELECT id, 'embargoed', 'planned', now() FROM r RETURNING id)
		SELECT f.id AS finished, w.id AS waiting FROM f, w`); err != nil {
		t.Fatal(err)
	}
	finished, waiting := ids.Finished, ids.Waiting
	pgtest.Exec(t, b.db, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT $1, c.id, c.email, 'en', 'sent' FROM contacts c`, finished)
	pgtest.Exec(t, b.db, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, next_attempt_at)
		SELECT $1, c.id, c.email, 'en', 'deferred', now() + interval '1 hour' FROM contacts c LIMIT 1`, waiting)
	if err := dispatcher.CloseFinished(b.disp, ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := b.db.Select(&got, `SELECT status FROM dispatches WHERE id IN ($1, $2) ORDER BY id`, finished, waiting); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "done" || got[1] != "planned" {
		t.Fatalf("dispatch statuses %v, want [done planned]", got)
	}
}

// The check that closes a dispatch walks its deliveries from a mark below
// which none waited for a first attempt; a retry queued again below the
// mark, or a deferral, keeps the dispatch open all the same.
func TestDoneCheckSeesRetriesBelowItsMark(t *testing.T) {
	b := setup(t, 3, nil)
	ctx := context.Background()
	var dispatch int64
	if err := b.db.Get(&dispatch, `
		WITH r AS (INSERT INTO releases (slug, original_language, status) VALUES ('marked', 'en', 'published') RETURNING id)
		INSERT INTO dispatches (release_id, variant, status, planned_at) SELECT id, 'public', 'planned', now() FROM r RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := b.db.Select(&ids, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT $1, c.id, c.email, 'en', 'queued' FROM contacts c WHERE c.email LIKE 'r%' ORDER BY c.id
		RETURNING id`, dispatch); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	a, b2, c := ids[0], ids[1], ids[2]
	check := func(step string, want string) {
		t.Helper()
		dispatcher.MarkDoneIfFinished(b.disp, ctx, dispatch)
		var status string
		if err := b.db.Get(&status, `SELECT status FROM dispatches WHERE id = $1`, dispatch); err != nil {
			t.Fatal(err)
		}
		if status != want {
			t.Fatalf("%s: dispatch %s, want %s", step, status, want)
		}
	}
	set := func(q string, args ...any) { t.Helper(); pgtest.Exec(t, b.db, q, args...) }

	check("all queued", "planned")
	set(`UPDATE deliveries SET status = 'sent' WHERE id IN ($1, $2)`, a, c)
	check("the middle one queued", "planned") // the mark is now just below it
	set(`UPDATE deliveries SET status = 'deferred', next_attempt_at = now() + interval '1 hour' WHERE id = $1`, a)
	set(`UPDATE deliveries SET status = 'sent' WHERE id = $1`, b2)
	check("the first one deferred, below the mark", "planned")
	set(`UPDATE deliveries SET status = 'queued' WHERE id = $1`, a) // its retry is due
	check("the first one's retry queued, below the mark", "planned")
	set(`UPDATE deliveries SET status = 'sent', next_attempt_at = NULL WHERE id = $1`, a)
	check("all sent", "done")
}

// Claiming a delivery and recording its first attempt rewrite no index
// entry: no index of deliveries names a column they change, as a key or
// in a predicate, so PostgreSQL can update the row where it lies (HOT).
func TestFirstAttemptTouchesNoIndex(t *testing.T) {
	db, _ := pgtest.DBURL(t)
	var defs []string
	if err := db.Select(&defs, `SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'deliveries'::regclass`); err != nil {
		t.Fatal(err)
	}
	changed := regexp.MustCompile(`\b(status|attempts|smtp_code|smtp_reply|lease_until|last_attempt_at|sent_at)\b`)
	for _, def := range defs {
		if col := changed.FindString(def); col != "" {
			t.Errorf("%s names %s, which sending a delivery changes", def, col)
		}
	}
	if len(defs) == 0 {
		t.Fatal("no index on deliveries")
	}
}

// Planning renders a dispatch ahead, while it records the first
// recipients, so that the first chunk finds its rendering made. With no
// worker to render it, only planning can have.
func TestRenderAhead(t *testing.T) {
	b := setup(t, 2, nil, func(c *dispatcher.Config) { c.Pools = nil })
	b.publish(t)
	waitFor(t, "the rendering ahead", func() bool { return dispatcher.Renderings(b.disp) == 1 })
	waitFor(t, "the dispatch to be planned", func() bool {
		var planned int
		if err := b.db.Get(&planned, `SELECT count(*) FROM dispatches WHERE status = 'planned'`); err != nil {
			t.Fatal(err)
		}
		return planned == 1
	})
	if sent := b.statuses(t)["sent"]; sent != 0 {
		t.Fatalf("%d deliveries sent with no worker", sent)
	}
}

// A chunk slower than its lease keeps its leases: the batch, given to
// another worker once the first one has been silent for the lease, finds
// nothing to send twice.
func TestChunkKeepsItsLeases(t *testing.T) {
	const n = 30
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(60 * time.Millisecond); return nil }
	b := setup(t, n, slow, func(c *dispatcher.Config) {
		c.Lease = 600 * time.Millisecond
		c.BatchSize = n
		target := c.Pools[0].Target
		target.Concurrency = 2
		c.Pools = []*mailer.Pool{mailer.NewPool(target, "example.org")}
	})
	b.publish(t)
	waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
	b.checkOnceEach(t, n)
	var attempts int
	b.db.Get(&attempts, `SELECT max(attempts) FROM deliveries`)
	if attempts != 1 {
		t.Errorf("a delivery was attempted %d times, want once", attempts)
	}
}

// A chunk that cannot renew its leases (here another session holds its
// deliveries locked, as a stuck statement would, until after the leases
// ran out) stops starting messages before they run out and hands the
// rest back; they are sent once all the same. Were it to go on, the
// worker given the batch next would claim what it had not sent yet.
func TestChunkStopsWhenItCannotKeepItsLeases(t *testing.T) {
	const n, lease = 20, 800 * time.Millisecond
	var mu sync.Mutex
	var starts []time.Time // when each message reached its recipient
	slow := func(from, to string) *smtp.SMTPError {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		return nil
	}
	var logged logtest.Buffer
	b := setup(t, n, slow, func(c *dispatcher.Config) {
		c.Lease = lease
		c.BatchSize = n
		c.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	})
	b.publish(t)
	waitFor(t, "the first message", func() bool { return b.smtp.Count() >= 1 })
	tx, err := b.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT id FROM deliveries WHERE status = 'queued' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	locked := time.Now()
	time.Sleep(lease + 700*time.Millisecond) // past the lease, with messages of the chunk still unsent
	early := map[string]bool{}
	for _, m := range b.smtp.Messages() {
		early[m.To[0]] = true
	}
	mu.Lock()
	for _, s := range starts {
		// No lease could be renewed once the rows were locked, so the
		// chunk stops a quarter of the lease before it runs out; the
		// quarter is left to the renewal's cancellation, which takes a
		// new connection to the server and can be slow on a busy machine.
		if s.After(locked.Add(lease)) {
			t.Errorf("a message started %v after the rows were locked, past its lease", s.Sub(locked))
		}
	}
	mu.Unlock()
	tx.Rollback()
	waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
	if !strings.Contains(logged.String(), "renew leases") {
		t.Fatalf("the chunk never noticed it could not renew its leases; log:\n%s", logged.String())
	}
	// A message sent before the lock, and recorded only once it let go,
	// was in flight when its lease ran out: another worker may claim it
	// in the moment between. None other may go twice.
	b.checkOnceEachBut(t, n, early)
}

// Deliveries a chunk hands back are sent with their batch all the same,
// while the chunks after them in the batch go on: the worker claims past
// the chunk it had, and the batch comes round again for what it left.
func TestHandedBackDeliveriesAreSentWithTheirBatch(t *testing.T) {
	const n, lease = 2*dispatcher.Chunk + 20, 800 * time.Millisecond
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(20 * time.Millisecond); return nil }
	b := setup(t, n, slow, func(c *dispatcher.Config) {
		c.Lease = lease
		c.BatchSize = n // one batch of three chunks
	})
	b.publish(t)
	waitFor(t, "the first message", func() bool { return b.smtp.Count() >= 1 })
	tx, err := b.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	// The first chunk's deliveries: it cannot renew their leases, stops,
	// and hands back what it has not sent.
	var locked []string
	if err := tx.Select(&locked, `
		SELECT email FROM deliveries WHERE id < (SELECT min(id) + $1 FROM deliveries) FOR UPDATE`, dispatcher.Chunk); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease + 700*time.Millisecond)
	early := map[string]bool{}
	for _, m := range b.smtp.Messages() {
		early[m.To[0]] = true
	}
	tx.Rollback()
	left := 0
	for _, to := range locked {
		if !early[to] {
			left++
		}
	}
	if left == 0 {
		t.Fatal("the first chunk sent all of its messages before its leases ran out; the test needs it to stop")
	}
	waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
	b.checkOnceEachBut(t, n, early)
}

// A worker whose chunk another worker took over (its leases having run
// out) neither renews the new leases nor hands the deliveries back: either
// would let both workers send them.
func TestTakenOverChunkIsLeftToItsNewHolder(t *testing.T) {
	const n = 20
	slow := func(from, to string) *smtp.SMTPError { time.Sleep(100 * time.Millisecond); return nil }
	var logged logtest.Buffer
	b := setup(t, n, slow, func(c *dispatcher.Config) {
		c.Lease = 800 * time.Millisecond
		c.BatchSize = n
		c.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	})
	var once sync.Once
	dispatcher.SetChunkHook(b.disp, func() {
		once.Do(func() {
			// What a claim by another worker leaves.
			if _, err := b.db.Exec(`UPDATE deliveries SET attempts = attempts + 1,
				lease_until = now() + interval '1 hour' WHERE status = 'queued'`); err != nil {
				t.Error(err)
			}
		})
	})
	b.publish(t)
	held := func() (sent, theirs int) {
		if err := b.db.QueryRow(`SELECT count(*) FILTER (WHERE status = 'sent'),
			count(*) FILTER (WHERE status = 'queued' AND attempts = 2 AND lease_until > now() + interval '30 minutes')
			FROM deliveries`).Scan(&sent, &theirs); err != nil {
			t.Fatal(err)
		}
		return sent, theirs
	}
	waitFor(t, "the chunk to stop", func() bool {
		sent, theirs := held()
		return sent == n || strings.Contains(logged.String(), "renew leases") && sent > 0 && sent+theirs == n
	})
	time.Sleep(500 * time.Millisecond)
	sent, theirs := held()
	if sent+theirs != n || sent == n {
		t.Fatalf("%d sent and %d left to the other worker, want fewer than %d sent and the rest left; log:\n%s",
			sent, theirs, n, logged.String())
	}
	if got := b.smtp.Count(); got != sent {
		t.Fatalf("the server received %d messages, %d recorded sent", got, sent)
	}
}

// checkOnceEach checks that each of n recipients received one message.
func (b *bundle) checkOnceEach(t *testing.T, n int) {
	t.Helper()
	b.checkOnceEachBut(t, n, nil)
}

// checkOnceEachBut checks that each of n recipients received the release,
// and once only unless they are among but.
func (b *bundle) checkOnceEachBut(t *testing.T, n int, but map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range b.smtp.Messages() {
		seen[m.To[0]]++
	}
	if len(seen) != n {
		t.Fatalf("%d recipients received the release, want %d", len(seen), n)
	}
	for to, c := range seen {
		if c > 1 && !but[to] {
			t.Errorf("%s received %d copies", to, c)
		}
	}
}
