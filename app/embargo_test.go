package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/logtest"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/postgres/pgtest"
)

// The embargo audience of the fixture: the mission of Mauritania (the
// release's country, missions "concerned") and the verified journalist
// following Mauritania. Everyone else following the release waits for
// the lift.
const embargoCSV = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n" +
	"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr;en,Europe/Zurich,true,,,,,\n" +
	"mission.mr@example.org,Mission of Mauritania,mission,Mission,MR,fr,Africa/Nouakchott,true,,,,,\n" +
	"mission.fr@example.org,Mission of France,mission,Mission,FR,fr,Europe/Paris,true,,,,,\n" +
	"verified@example.com,Awa Diop,journalist,Sahel Daily,SN,fr,Africa/Dakar,true,,MR,,,\n" +
	"unverified@example.com,John Smith,journalist,Global Wire,GB,en,Europe/London,false,,MR,,,\n" +
	"elsewhere@example.com,Pierre Martin,journalist,Le Courrier,FR,fr,Europe/Paris,true,,FR,,,\n"

var embargoAudience = []string{"mission.mr@example.org", "verified@example.com"}

func embargoedRelease(slug string, until time.Time) string {
	return fmt.Sprintf(`{
  "slug": %q, "original_language": "fr",
  "translations": {
    "fr": {"title": "Accord pour un bureau à Nouakchott", "body": "Le bureau ouvre.", "dateline": "Genève"},
    "en": {"title": "Agreement for an office in Nouakchott", "body": "The office opens.", "dateline": "Geneva"}
  },
  "countries": ["MR"], "embargo_until": %q,
  "embargo_audience": {"missions": "concerned", "verified_journalists": true},
  "press_contacts": ["press@example.org"]
}`, slug, until.UTC().Format(time.RFC3339))
}

func (b *bundle) create(body string) int64 {
	b.t.Helper()
	var created struct{ ID int64 }
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(body), &created); st != 201 {
		b.t.Fatalf("create: %d", st)
	}
	return created.ID
}

func (b *bundle) change(id int64, action, body string) (int, apiError) {
	b.t.Helper()
	var e apiError
	st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/%s", id, action), "application/json", []byte(body), &e)
	return st, e
}

// received lists, per recipient, the subjects of the messages they got
// since message number after.
func received(s *mailbox.Server, after int) map[string][]string {
	got := map[string][]string{}
	for _, m := range s.Messages() {
		if m.ID > after {
			got[m.To[0]] = append(got[m.To[0]], m.Subject)
		}
	}
	return got
}

func waitCount(t *testing.T, s *mailbox.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Wait(ctx, n); err != nil {
		t.Fatalf("waiting for %d messages, have %d", n, s.Count())
	}
}

func keys(m map[string][]string) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

// An embargo a few seconds ahead, in real time: the embargoed notice goes
// to the embargo audience at once and nowhere else; the public version
// goes at the lift, not a second early, to everyone else following the
// release, and not again to those who had the notice.
func TestEmbargoLiftsOnTime(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.Embedded(t))
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(embargoCSV), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	// The notices get two to three seconds to go (none starts within
	// two seconds of the lift).
	until := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	id := b.create(embargoedRelease("embargo-on-time", until))
	var pub struct{ Status string }
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/publish", id), "", nil, &pub); st != 202 || pub.Status != "embargoed" {
		t.Fatalf("publish: %d %q", st, pub.Status)
	}
	waitCount(t, b.smtp, 2)
	notices := received(b.smtp, 0)
	if got := keys(notices); strings.Join(got, ",") != strings.Join(embargoAudience, ",") {
		t.Fatalf("embargoed notice went to %v, want %v", got, embargoAudience)
	}
	for to, subj := range notices {
		if !strings.HasPrefix(subj[0], "SOUS EMBARGO") && !strings.HasPrefix(subj[0], "EMBARGOED") {
			t.Errorf("%s: notice subject %q lacks the embargo marker", to, subj[0])
		}
	}
	if n := b.count(`SELECT count(*) FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id WHERE s.variant = 'public'`); n != 0 {
		t.Fatalf("%d public deliveries exist before the lift", n)
	}

	waitCount(t, b.smtp, 3)
	var arrived time.Time
	for _, m := range b.smtp.Messages() {
		if m.ID == 3 {
			arrived = m.Received
		}
	}
	var liftedAt time.Time
	b.app.DB.Get(&liftedAt, `SELECT lifted_at FROM releases WHERE id = $1`, id)
	if arrived.Before(until) || liftedAt.Before(until) {
		t.Fatalf("public version early: lifted at %v, arrived %v, embargo until %v", liftedAt, arrived, until)
	}
	lateness := arrived.Sub(until)
	t.Logf("embargo lift lateness: lifted %v after embargo_until, first public message %v after", liftedAt.Sub(until), lateness)
	if lateness > 2*time.Second {
		t.Fatalf("first public message %v after the lift time", lateness)
	}
	time.Sleep(time.Second) // anything wrongly sent would show now
	public := received(b.smtp, 2)
	if got := keys(public); strings.Join(got, ",") != "unverified@example.com" {
		t.Fatalf("public version went to %v, want only the unverified journalist", got)
	}
	if n := b.count(`SELECT count(*) FROM dispatches WHERE release_id = ` + fmt.Sprint(id) + ` AND variant = 'public'`); n != 1 {
		t.Fatalf("%d public dispatches, want 1", n)
	}
	if m := b.metrics(); !strings.Contains(m, "communique_embargo_lift_lateness_seconds_count 1") {
		t.Errorf("/metrics does not show the lift's lateness")
	}
}

// Postpone, lift early, correct, recall: each tells exactly those who
// received something, each is refused in a state that does not allow it,
// and each is in the audit log.
func TestEmbargoChangesAndRecall(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.Embedded(t))
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(embargoCSV), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	id := b.create(embargoedRelease("embargo-changes", until))

	// Refused while a draft.
	for _, action := range []string{"lift", "recall", "correct"} {
		body := ""
		if action == "correct" {
			body = `{"translations": {"fr": {"title": "Corrigé"}}}`
		}
		if st, e := b.change(id, action, body); st != 409 || e.Error == "" {
			t.Errorf("%s on a draft: %d %+v", action, st, e)
		}
	}
	b.change(id, "publish", "")
	waitCount(t, b.smtp, 2)

	// Postponing to the past is refused; to later, those with the notice hear of it.
	if st, e := b.change(id, "postpone", `{"embargo_until": "2020-01-01T00:00:00Z"}`); st != 422 || !strings.Contains(strings.Join(e.Details, " "), "embargo_until") {
		t.Fatalf("postpone to the past: %d %+v", st, e)
	}
	if st, e := b.change(id, "postpone", `{}`); st != 422 {
		t.Fatalf("postpone without a time: %d %+v", st, e)
	}
	later := until.Add(time.Hour)
	if st, _ := b.change(id, "postpone", fmt.Sprintf(`{"embargo_until": %q}`, later.Format(time.RFC3339))); st != 202 {
		t.Fatalf("postpone: %d", st)
	}
	waitCount(t, b.smtp, 4)
	if got := keys(received(b.smtp, 2)); strings.Join(got, ",") != strings.Join(embargoAudience, ",") {
		t.Fatalf("embargo change went to %v", got)
	}
	// Correcting under embargo is refused: it would spread embargoed text.
	if st, _ := b.change(id, "correct", `{"translations": {"fr": {"title": "Corrigé"}}}`); st != 409 {
		t.Fatalf("correct under embargo: %d", st)
	}

	// Lift early: the public version goes to the rest.
	if st, _ := b.change(id, "lift", ""); st != 202 {
		t.Fatalf("lift: %d", st)
	}
	waitCount(t, b.smtp, 5)
	if st, _ := b.change(id, "lift", ""); st != 409 {
		t.Fatalf("second lift: %d", st)
	}
	if st, _ := b.change(id, "postpone", fmt.Sprintf(`{"embargo_until": %q}`, later.Format(time.RFC3339))); st != 409 {
		t.Fatalf("postpone after lift: %d", st)
	}

	// Correct: everyone who received the release in the corrected
	// language gets the corrected text; the reader of English does not.
	if st, e := b.change(id, "correct", `{"translations": {"fr": {"title": "Accord corrigé", "body": "Le bureau ouvre lundi."}}}`); st != 202 {
		t.Fatalf("correct: %d %+v", st, e)
	}
	waitCount(t, b.smtp, 7)
	corrected := received(b.smtp, 5)
	if got := keys(corrected); strings.Join(got, ",") != "mission.mr@example.org,verified@example.com" {
		t.Fatalf("correction went to %v", got)
	}

	// Recall: everyone who received anything, nobody else.
	if st, _ := b.change(id, "recall", ""); st != 202 {
		t.Fatalf("recall: %d", st)
	}
	waitCount(t, b.smtp, 10)
	time.Sleep(500 * time.Millisecond)
	recalled := received(b.smtp, 7)
	if got := keys(recalled); strings.Join(got, ",") != "mission.mr@example.org,unverified@example.com,verified@example.com" {
		t.Fatalf("recall went to %v", got)
	}
	if n := b.smtp.Count(); n != 10 {
		t.Fatalf("%d messages in all, want 10", n)
	}
	for _, action := range []string{"lift", "recall", "publish"} {
		if st, _ := b.change(id, action, ""); st != 409 {
			t.Errorf("%s after recall: %d", action, st)
		}
	}

	var audit struct {
		Entries []struct {
			Actor, Action string
			ReleaseID     int64 `json:"release_id"`
		}
	}
	b.do("GET", fmt.Sprintf("/api/v1/audit?release_id=%d", id), "", nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		if e.Actor == "" || e.ReleaseID != id {
			t.Errorf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "create,publish,postpone,lift,correct,recall" {
		t.Fatalf("audit log: %v", actions)
	}
}

// Every process stopped during an embargo and started again after its
// lift time: the public dispatch happens once, as soon as they are back.
func TestEmbargoSurvivesRestart(t *testing.T) {
	t.Parallel()
	nats := natstest.External(t)
	dbURL := pgtest.URL(t)
	smtp := mailbox.New(mailbox.Options{})
	addr, _ := smtp.Start("127.0.0.1:0")
	t.Cleanup(func() { smtp.Close() })
	// Each process's log, and the rows that tell where a release stands,
	// are shown should the test fail: a stall here is rare, and its
	// cause is in them.
	var logs []*logtest.Buffer
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		db, err := sqlx.Open("postgres", dbURL)
		if err != nil {
			t.Log(err)
			return
		}
		defer db.Close()
		for i, l := range logs {
			t.Logf("process %d logged:\n%s", i+1, l.String())
		}
		for _, q := range []string{
			`SELECT id, status, embargo_until FROM releases`,
			`SELECT id, variant, status, planned_through FROM dispatches ORDER BY id`,
			`SELECT dispatch_id, email, status, attempts, lease_until > now() AS leased FROM deliveries ORDER BY id`,
			`SELECT id, subject, published_at IS NOT NULL AS published FROM outbox ORDER BY id`,
		} {
			t.Logf("%s:\n%s", q, dumpRows(db, q))
		}
	})
	start := func() *app.App {
		var log logtest.Buffer
		logs = append(logs, &log)
		a := app.New(app.Config{
			DatabaseURL: dbURL, NATSURL: nats.URL, SMTPURL: "smtp://" + addr + "?tls=none",
			From: "Media Office <media@example.org>", HTTPAddr: "127.0.0.1:0", Secret: "test-secret-0123456789abcdef0123456789", AdminToken: token,
			DataDir: t.TempDir(), Clearance: "off", API: true, Dispatcher: true, Migrate: true,
		}, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := start()
	b := &bundle{t: t, app: a1, smtp: smtp, nats: nats.URL}
	b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(embargoCSV), nil)
	// No notice starts within two seconds of the lift: the notices get
	// two to three seconds to go, which a slow machine needs.
	until := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	id := b.create(embargoedRelease("embargo-restart", until))
	b.change(id, "publish", "")
	waitCount(t, smtp, 2)
	a1.Close()
	nats.Stop()
	time.Sleep(time.Until(until) + 2*time.Second)
	if smtp.Count() != 2 {
		t.Fatalf("%d messages while everything was down", smtp.Count())
	}
	nats.Start()
	// Two processes come back: still exactly one lift.
	a2, a3 := start(), start()
	defer a2.Close()
	defer a3.Close()
	waitCount(t, smtp, 3)
	time.Sleep(1500 * time.Millisecond)
	if n := smtp.Count(); n != 3 {
		t.Fatalf("%d messages after the restart, want 3", n)
	}
	var dispatches int
	a2.DB.Get(&dispatches, `SELECT count(*) FROM dispatches WHERE release_id = $1 AND variant = 'public'`, id)
	var lifts int
	a2.DB.Get(&lifts, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action = 'lift'`, id)
	if dispatches != 1 || lifts != 1 {
		t.Fatalf("%d public dispatches and %d lifts after a restart with two processes", dispatches, lifts)
	}
}

// Concurrent lift and recall requests never send anything twice.
func TestConcurrentChangesSendNothingTwice(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.Embedded(t))
	b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(embargoCSV), nil)
	id := b.create(embargoedRelease("embargo-race", time.Now().Add(time.Hour)))
	b.change(id, "publish", "")
	waitCount(t, b.smtp, 2) // the embargoed notices
	var wg sync.WaitGroup
	statuses := make(chan int, 30)
	for i := 0; i < 10; i++ {
		for _, action := range []string{"publish", "lift", "recall"} {
			wg.Add(1)
			go func(action string) {
				defer wg.Done()
				st, _ := b.change(id, action, "")
				statuses <- st
			}(action)
		}
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 202 && st != 409 {
			t.Fatalf("a concurrent change answered %d", st)
		}
	}
	time.Sleep(3 * time.Second)
	if b.smtp.Count() < 4 {
		t.Fatalf("only %d messages: the recall notices are missing", b.smtp.Count())
	}
	seen := map[string]int{}
	for _, m := range b.smtp.Messages() {
		seen[m.To[0]+" "+m.Subject]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s: %d copies", k, n)
		}
	}
	var perVariant []struct {
		Variant string `db:"variant"`
		N       int    `db:"n"`
	}
	b.app.DB.Select(&perVariant, `SELECT variant, count(*) AS n FROM dispatches WHERE release_id = $1 GROUP BY 1`, id)
	for _, v := range perVariant {
		if v.N > 1 {
			t.Fatalf("%d %s dispatches", v.N, v.Variant)
		}
	}
	b2, _ := json.Marshal(perVariant)
	t.Logf("dispatches after the race: %s; %d messages", b2, b.smtp.Count())
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// dumpRows returns the rows query finds, one per line, for a failing
// test's log.
func dumpRows(db *sqlx.DB, query string) string {
	rows, err := db.Queryx(query)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		row, err := rows.SliceScan()
		if err != nil {
			return err.Error()
		}
		for i, v := range row {
			if text, ok := v.([]byte); ok {
				row[i] = string(text)
			}
		}
		fmt.Fprintln(&b, row...)
	}
	return b.String()
}
