package mailqueue_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres/pgtest"
)

func count(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM messages`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestListAndReleaseCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	var rel int64
	if err := db.Get(&rel, `INSERT INTO releases (slug, original_language) VALUES ('r', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, meta := range []mailqueue.Meta{
		{Kind: mailqueue.KindTest, ReleaseID: rel},
		{Kind: mailqueue.KindTest, ReleaseID: rel},
		{Kind: mailqueue.KindConfirmation},
		{Kind: mailqueue.KindReset},
	} {
		id, err := mailqueue.Enqueue(ctx, db, message("a@example.com"), meta)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		ids = append(ids, id)
	}
	pgtest.Exec(t, db, `UPDATE messages SET status = 'sent', sent_at = now() WHERE id = $1`, ids[0])

	got, err := mailqueue.List(ctx, db, mailqueue.Filter{ReleaseID: rel})
	if err != nil || len(got) != 2 || got[0].ID != ids[1] || got[1].ID != ids[0] || got[1].Status != "sent" ||
		got[1].SentAt == nil || got[1].NextAttemptAt != nil || got[0].NextAttemptAt == nil {
		t.Fatalf("by release: %+v %v", got, err)
	}
	page, err := mailqueue.List(ctx, db, mailqueue.Filter{Limit: 1, After: ids[2]})
	if err != nil || len(page) != 1 || page[0].ID != ids[1] {
		t.Fatalf("after %d: %+v %v", ids[2], page, err)
	}
	byKind, err := mailqueue.List(ctx, db, mailqueue.Filter{Kind: mailqueue.KindReset, Status: "queued"})
	if err != nil || len(byKind) != 1 || byKind[0].ID != ids[3] {
		t.Fatalf("by kind: %+v %v", byKind, err)
	}
	counts, err := mailqueue.ReleaseCounts(ctx, db, rel)
	if err != nil || len(counts) != 1 || counts["test"]["sent"] != 1 || counts["test"]["queued"] != 1 {
		t.Fatalf("counts: %v %v", counts, err)
	}
}
