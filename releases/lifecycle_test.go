package releases_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

// clock is a controllable clock for the embargo rules.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// anyone publishes to an audience of nobody: these tests are about the
// life cycle, not about who follows the release.
var anyone = releases.PublishOptions{AllowEmpty: true}

func setup(t *testing.T) (*sqlx.DB, *releases.Lifecycle, *clock) {
	t.Helper()
	db := pgtest.DB(t)
	if err := taxonomy.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind) VALUES ('press@example.org', 'press_officer')`)
	c := &clock{t: t0}
	return db, &releases.Lifecycle{DB: db, Now: c.Now}, c
}

func create(t *testing.T, db *sqlx.DB, slug string, until *time.Time) int64 {
	t.Helper()
	id, err := releases.Create(context.Background(), db, &releases.Release{
		Slug: slug, OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Title"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"},
		EmbargoUntil: until, EmbargoAudience: releases.EmbargoAudience{Missions: "concerned"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t *testing.T, db *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func status(t *testing.T, db *sqlx.DB, id int64) string {
	r, err := releases.Get(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func TestEmbargoLiftsAtItsTimeNotBefore(t *testing.T) {
	ctx := context.Background()
	db, l, clk := setup(t)
	until := t0.Add(time.Hour)
	id := create(t, db, "embargoed", &until)
	if st, err := l.Publish(ctx, id, "tester", anyone); err != nil || st != "embargoed" {
		t.Fatalf("Publish = %q, %v", st, err)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE subject = 'communique.release.embargoed'`); n != 1 {
		t.Fatalf("%d embargoed events", n)
	}
	for _, at := range []time.Time{t0, until.Add(-time.Second), until.Add(-time.Nanosecond)} {
		clk.set(at)
		if n, err := l.LiftDue(ctx); err != nil || n != 0 {
			t.Fatalf("LiftDue at %v = %d, %v: lifted early", at, n, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM dispatches WHERE variant = 'public'`); n != 0 {
		t.Fatal("a public dispatch exists before the lift")
	}
	clk.set(until)
	if n, err := l.LiftDue(ctx); err != nil || n != 1 {
		t.Fatalf("LiftDue at the lift time = %d, %v", n, err)
	}
	clk.add(time.Hour)
	if n, _ := l.LiftDue(ctx); n != 0 {
		t.Fatal("lifted twice")
	}
	var lifted time.Time
	db.Get(&lifted, `SELECT lifted_at FROM releases WHERE id = $1`, id)
	if !lifted.Equal(until) || status(t, db, id) != "published" {
		t.Fatalf("lifted at %v, status %s", lifted, status(t, db, id))
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE subject = 'communique.release.lifted'`); n != 1 {
		t.Fatalf("%d lifted events", n)
	}
}

// After an outage that outlasts the embargo, the lift happens once on
// return, and embargoed notices still waiting never go out as embargoed.
func TestLongOutageLiftsOnceAndCancelsNotices(t *testing.T) {
	ctx := context.Background()
	db, l, clk := setup(t)
	until := t0.Add(time.Minute)
	id := create(t, db, "outage", &until)
	l.Publish(ctx, id, "tester", anyone)
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind, country) VALUES ('m1@example.org', 'mission', 'MR'), ('m2@example.org', 'mission', 'MR')`)
	pgtest.Exec(t, db, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, lease_until)
		SELECT s.id, c.id, c.email, 'en', 'queued', CASE WHEN c.email = 'm2@example.org' THEN $1::timestamptz END
		FROM dispatches s, contacts c WHERE s.variant = 'embargoed' AND c.kind = 'mission'`, t0.Add(48*time.Hour))
	clk.set(t0.Add(24 * time.Hour))
	var wg sync.WaitGroup
	lifts := make(chan int, 8)
	for i := 0; i < 8; i++ { // several processes come back at once
		wg.Add(1)
		go func() { defer wg.Done(); n, _ := l.LiftDue(ctx); lifts <- n }()
	}
	wg.Wait()
	close(lifts)
	total := 0
	for n := range lifts {
		total += n
	}
	if total != 1 || count(t, db, `SELECT count(*) FROM dispatches WHERE variant = 'public'`) != 1 {
		t.Fatalf("%d lifts by concurrent schedulers, want 1", total)
	}
	// The unleased notice is cancelled; the one a live worker holds is
	// left to it (workers stop embargoed notices before the lift).
	if s := count(t, db, `SELECT count(*) FROM deliveries WHERE email = 'm1@example.org' AND status = 'cancelled'`); s != 1 {
		t.Fatal("waiting embargoed notice not cancelled at the lift")
	}
}

// An embargo_until that has passed is refused at publication, leaving the
// release as it was, unless the press officer says to publish at once:
// then it goes out public, and no longer claims an embargo.
func TestPublishWithPastEmbargo(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	past := t0.Add(-time.Minute)
	id := create(t, db, "past", &past)
	_, err := l.Publish(ctx, id, "tester", anyone)
	if communique.ErrorCode(err) != communique.EINVALID ||
		!strings.Contains(err.Error(), "embargo_until: is in the past (2026-12-01T07:59:00Z)") || !strings.Contains(err.Error(), `"publish_now": true`) {
		t.Fatalf("Publish with a past embargo: %v", err)
	}
	if st := status(t, db, id); st != "draft" || count(t, db, `SELECT count(*) FROM dispatches`)+count(t, db, `SELECT count(*) FROM outbox`)+count(t, db, `SELECT count(*) FROM audit_log`) != 0 {
		t.Fatalf("a refused publication left status %s and rows behind", st)
	}
	if st, err := l.Publish(ctx, id, "tester", releases.PublishOptions{PublishNow: true, AllowEmpty: true}); err != nil || st != "published" {
		t.Fatalf("Publish now = %q, %v", st, err)
	}
	if n := count(t, db, `SELECT count(*) FROM dispatches WHERE variant = 'embargoed'`); n != 0 {
		t.Fatal("an embargoed notice for a release already public")
	}
	if r, _ := releases.Get(ctx, db, id); r.EmbargoUntil != nil {
		t.Fatalf("published at once, the release still claims an embargo until %v", r.EmbargoUntil)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE details ? 'embargo_until_ignored'`); n != 1 {
		t.Fatal("the audit log does not say the past embargo was ignored")
	}
}

// publish_now cannot break an embargo still to come.
func TestPublishNowKeepsAFutureEmbargo(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	until := t0.Add(time.Hour)
	id := create(t, db, "future", &until)
	_, err := l.Publish(ctx, id, "tester", releases.PublishOptions{PublishNow: true, AllowEmpty: true})
	if communique.ErrorCode(err) != communique.EINVALID || !strings.Contains(err.Error(), "publish_now:") {
		t.Fatalf("publish_now with an embargo to come: %v", err)
	}
	if st := status(t, db, id); st != "draft" {
		t.Fatalf("status %s", st)
	}
}

func TestPostponeMovesTheLift(t *testing.T) {
	ctx := context.Background()
	db, l, clk := setup(t)
	until := t0.Add(time.Hour)
	id := create(t, db, "postponed", &until)
	l.Publish(ctx, id, "tester", anyone)
	later := until.Add(time.Hour)
	if err := l.Postpone(ctx, id, later, "tester"); err != nil {
		t.Fatal(err)
	}
	clk.set(until)
	if n, _ := l.LiftDue(ctx); n != 0 {
		t.Fatal("lifted at the old time")
	}
	clk.set(later)
	if n, _ := l.LiftDue(ctx); n != 1 {
		t.Fatal("not lifted at the new time")
	}
	if n := count(t, db, `SELECT count(*) FROM dispatches WHERE variant = 'embargo_changed'`); n != 1 {
		t.Fatalf("%d embargo-changed dispatches", n)
	}
}

func TestStatesRefuseWhatTheyDoNotAllow(t *testing.T) {
	ctx := context.Background()
	db, l, clk := setup(t)
	until := t0.Add(time.Hour)
	draft := create(t, db, "draft", &until)
	fixed := "Fixed"
	tr := releases.Correction{Translations: map[string]releases.TranslationPatch{"en": {Title: &fixed}}}
	want := func(err error, code, mention string) {
		t.Helper()
		if communique.ErrorCode(err) != code || !strings.Contains(err.Error(), mention) {
			t.Fatalf("got %v, want %s mentioning %q", err, code, mention)
		}
	}
	want(l.Lift(ctx, draft, "t"), communique.ECONFLICT, "draft")
	want(l.Recall(ctx, draft, "", "t"), communique.ECONFLICT, "draft")
	want(l.Postpone(ctx, draft, until.Add(time.Hour), "t"), communique.ECONFLICT, "draft")
	want(l.Correct(ctx, draft, tr, "t"), communique.ECONFLICT, "draft")
	want(l.Lift(ctx, 999999, "t"), communique.ENOTFOUND, "999999")

	l.Publish(ctx, draft, "t", anyone)
	want(l.Postpone(ctx, draft, t0.Add(-time.Minute), "t"), communique.EINVALID, "embargo_until")
	want(l.Correct(ctx, draft, tr, "t"), communique.ECONFLICT, "embargoed")
	clk.set(until)
	l.LiftDue(ctx)
	want(l.Lift(ctx, draft, "t"), communique.ECONFLICT, "published")
	empty := ""
	want(l.Correct(ctx, draft, releases.Correction{Translations: map[string]releases.TranslationPatch{"en": {Title: &empty}}}, "t"), communique.EINVALID, "title")
	if err := l.Correct(ctx, draft, tr, "t"); err != nil {
		t.Fatal(err)
	}
	if err := l.Recall(ctx, draft, "", "t"); err != nil {
		t.Fatal(err)
	}
	want(l.Recall(ctx, draft, "", "t"), communique.ECONFLICT, "recalled")
	if st, err := l.Publish(ctx, draft, "t", anyone); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Fatalf("publish after recall: %q %v", st, err)
	}
	var actions []string
	db.Select(&actions, `SELECT action FROM audit_log ORDER BY id`)
	if strings.Join(actions, ",") != "publish,lift,correct,recall" {
		t.Fatalf("audit: %v", actions)
	}
}
