package contacts_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
)

// BenchmarkScale imports N new contacts (four subscriptions each) into an
// empty table, then records the public audience of a release all of them
// follow, and counts it as the audience panel does, at 100,000 and at
// 1,000,000 contacts, so that the three can be checked to grow linearly:
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./contacts/
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx, db := setup(b)
			data := generate(n)
			f := &audienceFixture{ctx: ctx, db: db}
			var imported, recorded, counted time.Duration
			for range b.N {
				pgtest.Exec(b, db, `TRUNCATE contacts, subscriptions, releases CASCADE`)
				start := time.Now()
				res, err := contacts.Import(ctx, db, bytes.NewReader(data), contacts.ImportOptions{})
				if err != nil || res.Created != n {
					b.Fatalf("import: %+v, %v", res, err)
				}
				imported += time.Since(start)
				// Statistics as a database that has been running a while
				// would have them, not as right after a bulk load.
				pgtest.Exec(b, db, `VACUUM ANALYZE`)
				dispatchID, releaseID := f.dispatch(b, "everyone", release{countries: []string{"MR", "FR", "BR", "JP"}}, "public")
				start = time.Now()
				count, err := contacts.CountPublicAudience(ctx, db, releaseID, chooseEnFr)
				if err != nil || count.Total != n {
					b.Fatalf("count: %+v, %v", count, err)
				}
				counted += time.Since(start)
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				added, err := contacts.InsertPublicAudience(ctx, tx, dispatchID, releaseID, chooseEnFr)
				if err != nil || added != int64(n) {
					b.Fatalf("audience of %d, %v", added, err)
				}
				recorded += time.Since(start)
				tx.Rollback()
			}
			per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
			b.ReportMetric(per(imported), "import-s")
			b.ReportMetric(per(counted), "count-s")
			b.ReportMetric(per(recorded), "record-s")
		})
	}
}
