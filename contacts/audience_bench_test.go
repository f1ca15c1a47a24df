package contacts_test

import (
	"bytes"
	"testing"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
)

// BenchmarkAudience100k records the public audience of a release that
// reaches all 100,000 generated contacts (400,000 subscriptions): once
// through their countries and the regions holding them, once through a
// topic. Each run's deliveries are rolled back outside the timer.
func BenchmarkAudience100k(b *testing.B) {
	ctx, db := setup(b)
	if _, err := contacts.Import(ctx, db, bytes.NewReader(generate(100_000)), contacts.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	// Statistics and hint bits as a database that has been running a while
	// would have them, not as right after a bulk load.
	pgtest.Exec(b, db, `VACUUM ANALYZE`)
	f := &audienceFixture{ctx: ctx, db: db}
	for _, bc := range []struct {
		name string
		rel  release
	}{
		{"regions-and-countries", release{countries: []string{"MR", "FR", "BR", "JP"}}},
		{"topic", release{topics: []string{"migration-governance"}}},
	} {
		dispatchID, releaseID := f.dispatch(b, bc.name, bc.rel, "public")
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				n, err := contacts.InsertPublicAudience(ctx, tx, dispatchID, releaseID, chooseEnFr)
				if err != nil || n != 100_000 {
					b.Fatalf("audience of %d, %v", n, err)
				}
				b.StopTimer()
				tx.Rollback()
				b.StartTimer()
			}
		})
	}
	// As a planner records it: in ranges of 25,000 contacts, each with
	// its own language map, none of which the dispatch has a delivery in.
	dispatchID, releaseID := f.dispatch(b, "ranges", release{countries: []string{"MR", "FR", "BR", "JP"}}, "public")
	maxID, err := contacts.MaxContactID(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ranges", func(b *testing.B) {
		for range b.N {
			tx, err := db.BeginTxx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			for from := int64(1); from <= maxID; from += 25_000 {
				to := from + 25_000 - 1
				lm, err := contacts.NewLanguageMapRange(ctx, tx, chooseEnFr, from, to)
				if err != nil {
					b.Fatal(err)
				}
				added, err := contacts.InsertPublicAudienceRange(ctx, tx, dispatchID, releaseID, lm, chooseEnFr(nil), from, to)
				if err != nil {
					b.Fatal(err)
				}
				n += added
			}
			if n != 100_000 {
				b.Fatalf("audience of %d", n)
			}
			b.StopTimer()
			tx.Rollback()
			b.StartTimer()
		}
	})
}
