package dispatcher_test

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
)

// The claim commits without waiting for the disk, and the record, on the
// same connection next, must wait again: the setting is the claim
// transaction's alone, and a connection left with it would lose sent
// messages' outcomes to a crash.
func TestClaimAloneCommitsAsynchronously(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.DBURL(t)
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind, status) VALUES ('press@example.org', 'press_officer', 'active')`)
	id, err := releases.Create(ctx, db, &releases.Release{
		Slug: "claim", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Title"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `UPDATE releases SET status = 'published', published_at = now() WHERE id = $1`, id)
	var dispatchID int64
	if err := db.Get(&dispatchID, `INSERT INTO dispatches (release_id, variant) VALUES ($1, 'public') RETURNING id`, id); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `
		WITH c AS (INSERT INTO contacts (email, kind, status) VALUES ('r@example.net', 'journalist', 'active') RETURNING id, email)
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status) SELECT $1, id, email, 'en', 'queued' FROM c`, dispatchID)

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	setting := func() (s string) {
		t.Helper()
		if err := conn.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := setting(); s != "on" {
		t.Fatalf("synchronous_commit is %q before the claim; the test needs the default", s)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, dispatcher.ClaimSQL, dispatchID, 1, math.MaxInt64, 60_000)
	if err != nil {
		t.Fatal(err)
	}
	claimed := 0
	for rows.Next() {
		claimed++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if claimed != 1 {
		t.Fatalf("claimed %d deliveries, want 1", claimed)
	}
	if s := setting(); s != "off" {
		t.Errorf("within the claim's transaction synchronous_commit is %q, want off", s)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		t.Fatal(err)
	}
	if s := setting(); s != "on" {
		t.Errorf("after the claim synchronous_commit is %q on its connection, want on", s)
	}
}

// A worker claims Chunk deliveries at a time, and 50 when its target has
// a rate limit: there the limit sets the pace, and a single message
// waits for the chunk its connection is sending.
func TestChunkFollowsTheRateLimit(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want int
	}{{0, dispatcher.Chunk}, {2000, 50}} {
		t.Run(fmt.Sprintf("rate%g", tc.rate), func(t *testing.T) {
			n := 2 * dispatcher.Chunk
			b := setup(t, n, nil, func(c *dispatcher.Config) {
				target := c.Pools[0].Target
				target.Concurrency, target.Rate = 1, tc.rate
				c.Pools = []*mailer.Pool{mailer.NewPool(target, "example.org")}
				c.BatchSize = n
			})
			var first atomic.Int64
			first.Store(-1)
			dispatcher.SetChunkHook(b.disp, func() {
				if first.Load() >= 0 {
					return
				}
				var leased int64
				if err := b.db.Get(&leased, `SELECT count(*) FROM deliveries WHERE status = 'queued' AND lease_until > now()`); err != nil {
					t.Error(err)
				}
				first.Store(leased)
			})
			b.publish(t)
			waitFor(t, "every delivery to be sent", func() bool { return b.statuses(t)["sent"] == n })
			if got := first.Load(); got != int64(tc.want) {
				t.Fatalf("the first chunk held %d deliveries, want %d", got, tc.want)
			}
		})
	}
}
