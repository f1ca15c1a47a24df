package releases_test

import (
	"context"
	"testing"

	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

// BenchmarkAudience100k counts the audience of a release that 100,000
// contacts follow one way or another, as GET /audience does, and checks
// that it is not empty, as publishing does:
//
//	go test -run '^$' -bench Audience100k -benchtime 5x ./releases/
func BenchmarkAudience100k(b *testing.B) {
	ctx := context.Background()
	db := pgtest.DB(b)
	if err := taxonomy.Seed(ctx, db); err != nil {
		b.Fatal(err)
	}
	pgtest.Exec(b, db, `INSERT INTO contacts (email, kind, languages, verified, country)
		SELECT 'c' || i || '@example.net', CASE WHEN i % 50 = 0 THEN 'mission' ELSE 'journalist' END,
			(CASE i % 5 WHEN 0 THEN '{fr}' WHEN 1 THEN '{en}' WHEN 2 THEN '{es,en}' WHEN 3 THEN '{ar,fr}' ELSE '{pt}' END)::text[],
			i % 3 = 0, (ARRAY['MR', 'SN', 'FR'])[1 + i % 3]
		FROM generate_series(1, 100000) AS i`)
	pgtest.Exec(b, db, `INSERT INTO contacts (email, kind) VALUES ('press@example.org', 'press_officer')`)
	pgtest.Exec(b, db, `INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, (ARRAY['country', 'region', 'topic'])[1 + id % 3], (ARRAY['MR', 'western-africa', 'none'])[1 + id % 3]
		FROM contacts WHERE kind <> 'press_officer'`)
	pgtest.Exec(b, db, `ANALYZE`)
	id, err := releases.Create(ctx, db, &releases.Release{
		Slug: "benchmark", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{"fr": {Title: "Titre"}, "en": {Title: "Title"}, "es": {Title: "Título"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"},
		EmbargoAudience: releases.EmbargoAudience{Missions: "all", VerifiedJournalists: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	match := func(prefs, available []string, original string) string {
		for _, p := range prefs {
			for _, a := range available {
				if p == a {
					return a
				}
			}
		}
		return original
	}
	b.Run("count", func(b *testing.B) {
		for range b.N {
			a, err := releases.GetAudience(ctx, db, id, match, t0)
			if err != nil || a.Total == 0 {
				b.Fatal(a, err)
			}
		}
	})
	b.Run("publish-check", func(b *testing.B) {
		l := &releases.Lifecycle{DB: db}
		for range b.N {
			if _, err := l.Publish(ctx, id, "bench", releases.PublishOptions{}); err != nil {
				b.Fatal(err)
			}
			pgtest.Exec(b, db, `DELETE FROM outbox; DELETE FROM dispatches; DELETE FROM audit_log; UPDATE releases SET status = 'draft'`)
		}
	})
}
