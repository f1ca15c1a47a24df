package contacts_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

// audienceFixture is the taxonomy and the contacts the audience rules are
// tested over: built-in M49 regions, two custom regions (Sahel: ML NE TD BF
// MR, which spans Western and Middle Africa; West and Central Africa, which
// holds both), two topics, and one contact per rule and per status. Each
// contact's address says what it follows.
type audienceFixture struct {
	ctx context.Context
	db  *sqlx.DB
}

type fixtureContact struct {
	email, kind, country, status string
	verified                     bool
	languages                    []string
	regions, countries, topics   []string
	suppression                  string // reason, or ""
}

var fixtureContacts = []fixtureContact{
	{email: "africa@example.org", regions: []string{"africa"}},
	{email: "sub-saharan@example.org", regions: []string{"sub-saharan-africa"}},
	{email: "western-africa@example.org", regions: []string{"western-africa"}, verified: true},
	{email: "northern-africa@example.org", regions: []string{"northern-africa"}},
	{email: "europe@example.org", regions: []string{"europe"}, verified: true},
	{email: "sahel@example.org", regions: []string{"sahel"}},
	{email: "west-central@example.org", regions: []string{"west-and-central-africa"}},
	{email: "country-mr@example.org", countries: []string{"MR"}},
	{email: "country-sn@example.org", countries: []string{"SN"}},
	{email: "topic-migration@example.org", topics: []string{"migration-governance"}},
	{email: "topic-climate@example.org", topics: []string{"climate-mobility"}},
	{email: "mixed@example.org", regions: []string{"europe"}, countries: []string{"BR"}, topics: []string{"climate-mobility"}},
	{email: "no-subscriptions@example.org"},
	// Languages choose the translation, never whether.
	{email: "reads-chinese@example.org", regions: []string{"africa"}, languages: []string{"zh"}},
	{email: "reads-arabic-then-french@example.org", regions: []string{"africa"}, languages: []string{"ar", "fr"}},
	// Statuses and suppressions.
	{email: "pending@example.org", regions: []string{"africa"}, status: "pending"},
	{email: "unsubscribed@example.org", regions: []string{"africa"}, status: "unsubscribed", suppression: "unsubscribed"},
	{email: "bounced@example.org", regions: []string{"africa"}, status: "bounced", suppression: "bounced"},
	{email: "blocked@example.org", regions: []string{"africa"}, status: "blocked"},
	{email: "complained@example.org", regions: []string{"africa"}, suppression: "complained"},
	// Missions: in the public audience only through subscriptions.
	{email: "mission-mr@example.net", kind: "mission", country: "MR", regions: []string{"africa"}},
	{email: "mission-sn@example.net", kind: "mission", country: "SN"},
	{email: "mission-fr@example.net", kind: "mission", country: "FR"},
	{email: "mission-pending@example.net", kind: "mission", country: "MR", status: "pending"},
}

// inTx runs insert in a transaction of its own, committed if it succeeds,
// as the planner records an audience.
func (f *audienceFixture) inTx(t testing.TB, insert func(tx *sqlx.Tx) (int64, error)) (n int64, err error) {
	t.Helper()
	err = postgres.Tx(f.ctx, f.db, func(tx *sqlx.Tx) (err error) {
		n, err = insert(tx)
		return err
	})
	return n, err
}

func setupAudience(t testing.TB) *audienceFixture {
	t.Helper()
	ctx, db := setup(t)
	if err := taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel"},
		Countries: []string{"ML", "NE", "TD", "BF", "MR"}}); err != nil {
		t.Fatal(err)
	}
	var westCentral []string
	for _, r := range taxonomy.Builtin() {
		if r.Slug == "western-africa" || r.Slug == "middle-africa" {
			westCentral = append(westCentral, r.Countries...)
		}
	}
	if err := taxonomy.CreateRegion(ctx, db, taxonomy.Region{Slug: "west-and-central-africa",
		Names: taxonomy.Names{"en": "West and Central Africa"}, Countries: westCentral}); err != nil {
		t.Fatal(err)
	}
	for _, c := range fixtureContacts {
		kind, status, langs := c.kind, c.status, c.languages
		if kind == "" {
			kind = "journalist"
		}
		if status == "" {
			status = "active"
		}
		if langs == nil {
			langs = []string{"fr", "en"}
		}
		pgtest.Exec(t, db, `
			WITH c AS (
				INSERT INTO contacts (email, kind, country, status, verified, languages)
				VALUES ($1, $2, nullif($3, ''), $4, $5, $6) RETURNING id)
			INSERT INTO subscriptions (contact_id, kind, value)
			SELECT c.id, 'region', unnest($7::text[]) FROM c
			UNION ALL SELECT c.id, 'country', unnest($8::text[]) FROM c
			UNION ALL SELECT c.id, 'topic', unnest($9::text[]) FROM c`,
			c.email, kind, c.country, status, c.verified, pq.Array(langs),
			pq.Array(c.regions), pq.Array(c.countries), pq.Array(c.topics))
		if c.suppression != "" {
			pgtest.Exec(t, db, `INSERT INTO suppressions (email, reason) VALUES ($1, $2)`, c.email, c.suppression)
		}
	}
	return &audienceFixture{ctx: ctx, db: db}
}

type release struct {
	regions, countries, topics []string
	missions                   string // embargo audience: all, concerned or none
	verified                   bool
}

// dispatch stores r as a release with one dispatch of variant and returns
// their ids.
func (f *audienceFixture) dispatch(t testing.TB, slug string, r release, variant string) (dispatchID, releaseID int64) {
	t.Helper()
	if r.missions == "" {
		r.missions = "none"
	}
	err := f.db.QueryRow(`
		WITH r AS (
			INSERT INTO releases (slug, original_language, regions, countries, topics, embargo_missions, embargo_verified)
			VALUES ($1, 'en', coalesce($2::text[], '{}'), coalesce($3::text[], '{}'), coalesce($4::text[], '{}'), $5, $6) RETURNING id)
		INSERT INTO dispatches (release_id, variant) SELECT id, $7 FROM r RETURNING id, release_id`,
		slug, pq.Array(r.regions), pq.Array(r.countries), pq.Array(r.topics), r.missions, r.verified, variant,
	).Scan(&dispatchID, &releaseID)
	if err != nil {
		t.Fatal(err)
	}
	return dispatchID, releaseID
}

// chooseEnFr picks the first of English and French in prefs, else English
// (the fixture releases' original language).
func chooseEnFr(prefs []string) string {
	for _, p := range prefs {
		if p == "en" || p == "fr" {
			return p
		}
	}
	return "en"
}

// deliveries returns "email status language" per delivery of dispatchID.
func (f *audienceFixture) deliveries(t testing.TB, dispatchID int64) map[string]string {
	t.Helper()
	var rows []struct {
		Email    string `db:"email"`
		Status   string `db:"status"`
		Language string `db:"language"`
	}
	if err := f.db.Select(&rows, `SELECT email, status, language FROM deliveries WHERE dispatch_id = $1`, dispatchID); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Email] = r.Status + " " + r.Language
	}
	return out
}

// alwaysInAfrica are the contacts every release about Africa reaches, with
// the delivery each gets: the suppressed one is recorded but never sent.
var alwaysInAfrica = map[string]string{
	"africa@example.org":                   "queued fr",
	"reads-chinese@example.org":            "queued en",
	"reads-arabic-then-french@example.org": "queued fr",
	"complained@example.org":               "suppressed fr",
	"mission-mr@example.net":               "queued fr",
}

func with(extra ...string) map[string]string {
	m := maps.Clone(alwaysInAfrica)
	for _, e := range extra {
		m[e] = "queued fr"
	}
	return m
}

func TestPublicAudienceRules(t *testing.T) {
	t.Parallel()
	f := setupAudience(t)
	for _, tc := range []struct {
		name string
		rel  release
		want map[string]string
	}{
		{"a region matches a release naming it or a region inside it, never one around it nor a country subscription",
			release{regions: []string{"western-africa"}},
			with("sub-saharan@example.org", "western-africa@example.org", "west-central@example.org")},
		{"Africa gets a release about Western Africa and nothing else in it",
			release{regions: []string{"africa"}},
			alwaysInAfrica},
		{"a country of a region matches the region; a country matches itself only",
			release{countries: []string{"MR"}},
			with("sub-saharan@example.org", "western-africa@example.org", "sahel@example.org",
				"country-mr@example.org", "west-central@example.org")},
		{"a custom region lies inside every region holding all its countries, custom ones too",
			release{regions: []string{"sahel"}},
			with("sub-saharan@example.org", "sahel@example.org", "west-central@example.org")},
		{"a sub-region two levels down matches its ancestors",
			release{regions: []string{"channel-islands"}},
			map[string]string{"europe@example.org": "queued fr", "mixed@example.org": "queued fr"}},
		{"a topic matches that topic only",
			release{topics: []string{"migration-governance"}},
			map[string]string{"topic-migration@example.org": "queued fr"}},
		{"any one matching subscription is enough",
			release{regions: []string{"northern-africa"}, countries: []string{"BR"}, topics: []string{"climate-mobility"}},
			with("northern-africa@example.org", "topic-climate@example.org", "mixed@example.org")},
		{"a release naming nothing reaches nobody",
			release{},
			map[string]string{}},
	} {
		dispatchID, releaseID := f.dispatch(t, slug(tc.name), tc.rel, "public")
		n, err := f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertPublicAudience(f.ctx, tx, dispatchID, releaseID, chooseEnFr)
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := f.deliveries(t, dispatchID)
		if !maps.Equal(got, tc.want) || n != int64(len(tc.want)) {
			t.Errorf("%s: %d added\n got %v\nwant %v", tc.name, n, sorted(got), sorted(tc.want))
		}
		// Running it again adds nothing.
		if n, err := f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertPublicAudience(f.ctx, tx, dispatchID, releaseID, chooseEnFr)
		}); err != nil || n != 0 {
			t.Errorf("%s: second run added %d, %v", tc.name, n, err)
		}
	}
}

// forRanges reads what a planner reads before recording an audience
// range by range: the language map and the largest contact id.
func (f *audienceFixture) forRanges(t testing.TB) (contacts.LanguageMap, int64) {
	t.Helper()
	lm, err := contacts.NewLanguageMap(f.ctx, f.db, chooseEnFr)
	if err != nil {
		t.Fatal(err)
	}
	maxID, err := contacts.MaxContactID(f.ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	return lm, maxID
}

// reachedByMR are the fixture's contacts outside alwaysInAfrica that a
// release about Mauritania reaches.
var reachedByMR = []string{"sub-saharan@example.org", "western-africa@example.org", "sahel@example.org",
	"country-mr@example.org", "west-central@example.org"}

// TestPublicAudienceInChunks checks that recording an audience range by
// range, as the planner does, gives what one statement gives.
func TestPublicAudienceInChunks(t *testing.T) {
	t.Parallel()
	f := setupAudience(t)
	lm, maxID := f.forRanges(t)
	dispatchID, releaseID := f.dispatch(t, "chunks", release{countries: []string{"MR"}}, "public")
	for from := int64(1); from <= maxID; from += 4 {
		if _, err := f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertPublicAudienceRange(f.ctx, tx, dispatchID, releaseID, lm, "en", from, from+3)
		}); err != nil {
			t.Fatal(err)
		}
	}
	want := with(reachedByMR...)
	if got := f.deliveries(t, dispatchID); !maps.Equal(got, want) {
		t.Errorf("\n got %v\nwant %v", sorted(got), sorted(want))
	}
}

// TestPublicAudienceRangeAlongsideAnotherWriter checks that a range some
// of whose deliveries are recorded already, or are being recorded by
// another transaction (a planner taking over the dispatch), gets the
// others once each, and leaves the existing ones as they are.
func TestPublicAudienceRangeAlongsideAnotherWriter(t *testing.T) {
	t.Parallel()
	f := setupAudience(t)
	lm, maxID := f.forRanges(t)
	want := with(reachedByMR...)
	want["country-mr@example.org"] = "sent en" // the one recorded by the other writer
	record := func(q sqlx.ExecerContext, dispatchID int64) {
		t.Helper()
		if _, err := q.ExecContext(f.ctx, `
			INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
			SELECT $1, id, email, 'en', 'sent' FROM contacts WHERE email = 'country-mr@example.org'`, dispatchID); err != nil {
			t.Fatal(err)
		}
	}
	// deliveries shows one row per address; the unique index keeps a
	// contact from having two.
	insertRange := func(dispatchID, releaseID int64) (int64, error) {
		return f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertPublicAudienceRange(f.ctx, tx, dispatchID, releaseID, lm, "en", 1, maxID)
		})
	}

	t.Run("recorded before", func(t *testing.T) {
		dispatchID, releaseID := f.dispatch(t, "recorded-before", release{countries: []string{"MR"}}, "public")
		record(f.db, dispatchID)
		n, err := insertRange(dispatchID, releaseID)
		if got := f.deliveries(t, dispatchID); err != nil || n != int64(len(want)-1) || !maps.Equal(got, want) {
			t.Errorf("%d added, %v\n got %v\nwant %v", n, err, sorted(got), sorted(want))
		}
	})

	t.Run("recorded meanwhile", func(t *testing.T) {
		dispatchID, releaseID := f.dispatch(t, "recorded-meanwhile", release{countries: []string{"MR"}}, "public")
		other, err := f.db.BeginTxx(f.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		record(other, dispatchID)
		type result struct {
			n   int64
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := insertRange(dispatchID, releaseID)
			done <- result{n, err}
		}()
		// The range looks empty to the second writer, whose insert then
		// waits on the other's row: the case the fallback is for.
		waiting := false
		for deadline := time.Now().Add(10 * time.Second); !waiting && time.Now().Before(deadline); {
			f.db.GetContext(f.ctx, &waiting, `
				SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				               WHERE datname = current_database() AND wait_event = 'transactionid')`)
			time.Sleep(10 * time.Millisecond)
		}
		if !waiting {
			t.Fatal("the range's insert never waited for the other writer")
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if got := f.deliveries(t, dispatchID); r.err != nil || r.n != int64(len(want)-1) || !maps.Equal(got, want) {
			t.Errorf("%d added, %v\n got %v\nwant %v", r.n, r.err, sorted(got), sorted(want))
		}
	})
}

func TestEmbargoAudienceRules(t *testing.T) {
	t.Parallel()
	f := setupAudience(t)
	about := func(r release) release {
		r.regions, r.countries = []string{"western-africa"}, []string{"MR", "SN"}
		return r
	}
	for _, tc := range []struct {
		name string
		rel  release
		want []string
	}{
		{"all missions", about(release{missions: "all"}),
			[]string{"mission-fr@example.net", "mission-mr@example.net", "mission-sn@example.net"}},
		{"the missions of the release's countries", about(release{missions: "concerned"}),
			[]string{"mission-mr@example.net", "mission-sn@example.net"}},
		{"no mission", about(release{missions: "none"}), nil},
		{"verified journalists of the public audience", about(release{missions: "none", verified: true}),
			[]string{"western-africa@example.org"}},
		{"both", about(release{missions: "concerned", verified: true}),
			[]string{"mission-mr@example.net", "mission-sn@example.net", "western-africa@example.org"}},
	} {
		dispatchID, releaseID := f.dispatch(t, slug(tc.name), tc.rel, "embargoed")
		if _, err := f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertEmbargoAudience(f.ctx, tx, dispatchID, releaseID, chooseEnFr)
		}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := slices.Sorted(maps.Keys(f.deliveries(t, dispatchID)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func slug(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}), "-")
}

func sorted(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}
