package releases_test

import (
	"context"
	"testing"
	"time"

	"github.com/communique/communique/releases"
)

// A lift changes the release and starts its public dispatch in one
// transaction; progress read while it commits shows both changes or
// neither. Here the lift commits after progress has read the release and
// before it reads the dispatches: the second read waits on a lock the
// lift's transaction holds.
func TestProgressSeesALiftWholeOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	until := t0.Add(time.Hour)
	id := create(t, db, "watched", &until)
	if st, err := l.Publish(ctx, id, "tester", anyone); err != nil || st != releases.StatusEmbargoed {
		t.Fatalf("Publish = %q, %v", st, err)
	}

	liftTx, err := db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer liftTx.Rollback()
	if _, err := liftTx.Exec(`LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		p   *releases.Progress
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := releases.GetProgress(ctx, db, id)
		done <- result{p, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for count(t, db, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM dispatches s LEFT JOIN deliveries%'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("progress never reached its read of the dispatches")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, q := range []string{
		`UPDATE releases SET status = 'published', lifted_at = now() WHERE id = $1`,
		`INSERT INTO dispatches (release_id, variant) VALUES ($1, 'public')`,
	} {
		if _, err := liftTx.Exec(q, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := liftTx.Commit(); err != nil {
		t.Fatal(err)
	}

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	public := false
	for _, d := range r.p.Dispatches {
		public = public || d.Variant == "public"
	}
	if r.p.Status == releases.StatusEmbargoed && public {
		t.Fatal("progress shows the release still embargoed and its public version already started")
	}
	if r.p.Status != releases.StatusEmbargoed || public {
		t.Fatalf("progress shows status %s, public version %t: want the state before the lift, which it began reading", r.p.Status, public)
	}
}
