package releases_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// A selection not yet saved is counted as the same selection saved is,
// names a few of its audience, and leaves nothing behind.
func TestAudienceOfASelection(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	db.MustExec(`INSERT INTO contacts (email, name, kind, languages, verified, country, status)
		SELECT 'c' || i || '@example.net', CASE WHEN i % 4 = 0 THEN '' ELSE 'Name ' || i END,
			CASE WHEN i % 10 = 0 THEN 'mission' ELSE 'journalist' END,
			(CASE i % 3 WHEN 0 THEN '{fr}' WHEN 1 THEN '{en}' ELSE '{es,en}' END)::text[],
			i % 2 = 0, (ARRAY['MR', 'SN', 'FR'])[1 + i % 3], CASE WHEN i % 17 = 0 THEN 'bounced' ELSE 'active' END
		FROM generate_series(1, 300) AS i`)
	db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, (ARRAY['country', 'region', 'topic'])[1 + id % 3], (ARRAY['MR', 'western-africa', 'nothing'])[1 + id % 3]
		FROM contacts WHERE kind <> 'press_officer'`)
	db.MustExec(`INSERT INTO suppressions (email, reason) VALUES ('c3@example.net', 'complained')`)
	until := t0.Add(time.Hour)
	sel := releases.Selection{Regions: []string{"western-africa"}, Languages: []string{"fr", "en"}, Original: "fr",
		EmbargoUntil: &until, EmbargoAudience: releases.EmbargoAudience{Missions: "all", VerifiedJournalists: true}}
	before := count(t, db, `SELECT (SELECT count(*) FROM releases) + (SELECT count(*) FROM dispatches) + (SELECT count(*) FROM deliveries)`)

	got, err := releases.AudienceOf(ctx, db, sel, templates.MatchLanguage, t0, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Those who follow Western Africa, active and not suppressed: a
	// country subscription matches only a release that names the country.
	want := count(t, db, `SELECT count(DISTINCT c.id) FROM contacts c JOIN subscriptions s ON s.contact_id = c.id
		WHERE c.status = 'active' AND c.email <> 'c3@example.net' AND s.kind = 'region' AND s.value = 'western-africa'`)
	if got.Total != want || want == 0 {
		t.Errorf("total %d, want %d", got.Total, want)
	}
	if got.Embargo == nil || got.Embargo.Total == 0 {
		t.Errorf("embargo audience %+v, want missions and verified journalists", got.Embargo)
	}
	if len(got.Sample) != 5 || !strings.HasPrefix(got.Sample[0], "Name ") {
		t.Errorf("sample %q, want five names", got.Sample)
	}
	if after := count(t, db, `SELECT (SELECT count(*) FROM releases) + (SELECT count(*) FROM dispatches) + (SELECT count(*) FROM deliveries)`); after != before {
		t.Errorf("counting left %d rows behind", after-before)
	}

	// The same selection saved counts the same.
	id, err := l.Create(ctx, &releases.Draft{Release: releases.Release{Slug: "saved", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{"fr": {Title: "Titre"}, "en": {Title: "Title"}},
		Regions:      sel.Regions, EmbargoUntil: &until, EmbargoAudience: sel.EmbargoAudience,
		PressContacts: []string{"press@example.org"}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := releases.GetAudience(ctx, db, id, templates.MatchLanguage, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(saved, &got.Audience) {
		t.Errorf("saved release counts %+v %+v, the selection %+v %+v", saved.AudienceCount, saved.Embargo, got.AudienceCount, got.Embargo)
	}

	// Without an embargo ahead, no embargo audience; nobody is nobody.
	got, err = releases.AudienceOf(ctx, db, releases.Selection{Topics: nil, Original: "fr"}, templates.MatchLanguage, t0, 5)
	if err != nil || got.Total != 0 || got.Embargo != nil || len(got.Sample) != 0 {
		t.Errorf("empty selection: %+v, %v", got, err)
	}

	// An unknown slug or option is named.
	_, err = releases.AudienceOf(ctx, db, releases.Selection{Regions: []string{"atlantis"}}, templates.MatchLanguage, t0, 5)
	if communique.ErrorCode(err) != communique.EINVALID || !strings.Contains(strings.Join(communique.ErrorDetails(err), " "), "atlantis") {
		t.Errorf("unknown region: %v %v", err, communique.ErrorDetails(err))
	}
	_, err = releases.AudienceOf(ctx, db, releases.Selection{EmbargoAudience: releases.EmbargoAudience{Missions: "some"}}, templates.MatchLanguage, t0, 5)
	if communique.ErrorCode(err) != communique.EINVALID {
		t.Errorf("unknown missions option: %v", err)
	}
}

// An autosave saves a draft as an edit does, and refuses, changing
// nothing, a draft changed since it was seen, a draft submitted for
// clearance and a release no longer a draft.
func TestAutosave(t *testing.T) {
	ctx := context.Background()
	db, l, clk := setup(t)
	id := create(t, db, "autosaved", nil)
	rel, err := releases.Get(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	draft := func(title string) *releases.Draft {
		return &releases.Draft{Release: releases.Release{Slug: "autosaved", OriginalLanguage: "en",
			Translations: map[string]releases.Translation{"en": {Title: title}}, Countries: []string{"MR"},
			PressContacts: []string{"press@example.org"}, EmbargoAudience: releases.EmbargoAudience{Missions: "none"}}}
	}
	title := func() string {
		r, err := releases.Get(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Translations["en"].Title
	}

	clk.add(time.Second)
	seen, err := l.Autosave(ctx, id, rel.UpdatedAt, draft("First"), "user:a@example.org")
	if err != nil || title() != "First" || !seen.After(rel.UpdatedAt) {
		t.Fatalf("autosave: %v, title %q, stamp %v after %v", err, title(), seen, rel.UpdatedAt)
	}
	// Autosaves of one sitting make one audit entry: what the draft was
	// before the first, and after the last.
	seen, err = l.Autosave(ctx, id, seen, draft("Second"), "user:a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action = 'edit'`, id); n != 1 {
		t.Errorf("%d audit entries for one sitting's autosaves", n)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action = 'edit' AND actor = 'user:a@example.org'
		AND details->'before'->'translations'->'en'->>'title' = 'Title' AND details->'after'->'translations'->'en'->>'title' = 'Second'
		AND details->>'autosave' = 'true'`, id); n != 1 {
		t.Error("the sitting's entry does not hold the first before and the last after")
	}
	// Someone else saves; an autosave from the form opened before theirs
	// does not overwrite it.
	clk.add(time.Second)
	if err := l.Edit(ctx, id, draft("Theirs"), "user:b@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Autosave(ctx, id, seen, draft("Mine"), "user:a@example.org"); communique.ErrorCode(err) != communique.ECONFLICT || title() != "Theirs" {
		t.Errorf("stale autosave: %v, title %q", err, title())
	}
	// After their edit, an autosave is an entry of its own.
	rel, _ = releases.Get(ctx, db, id)
	if _, err := l.Autosave(ctx, id, rel.UpdatedAt, draft("Theirs"), "user:a@example.org"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action = 'edit'`, id); n != 3 {
		t.Errorf("%d edit entries, want the sitting's, theirs and the new one", n)
	}
	rel, _ = releases.Get(ctx, db, id)
	if err := l.Submit(ctx, id, "user:b@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Autosave(ctx, id, rel.UpdatedAt, draft("Mine"), "user:a@example.org"); communique.ErrorCode(err) != communique.ECONFLICT || title() != "Theirs" {
		t.Errorf("autosave of a submitted draft: %v, title %q", err, title())
	}
	if r, _ := releases.Get(ctx, db, id); r.Clearance == nil || r.Clearance.State != releases.ClearanceSubmitted {
		t.Errorf("the submission was withdrawn: %+v", r.Clearance)
	}
	if err := l.Return(ctx, id, "user:c@example.org", "shorter"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Publish(ctx, id, "test", anyone); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Autosave(ctx, id, rel.UpdatedAt, draft("Mine"), "user:a@example.org"); communique.ErrorCode(err) != communique.ECONFLICT || title() != "Theirs" {
		t.Errorf("autosave of a published release: %v, title %q", err, title())
	}
	// Bad input is named as an edit names it, and nothing is written.
	id2 := create(t, db, "second", nil)
	rel, _ = releases.Get(ctx, db, id2)
	bad := draft("")
	bad.Slug = "second"
	if _, err := l.Autosave(ctx, id2, rel.UpdatedAt, bad, "user:a@example.org"); communique.ErrorCode(err) != communique.EINVALID {
		t.Errorf("autosave without a title: %v", err)
	}
}
