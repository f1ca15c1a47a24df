package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
)

func TestRelayPublishesOnceEvenWhenRepeated(t *testing.T) {
	ctx := context.Background()
	db, dsn := pgtest.DBURL(t)
	nc, err := events.Connect(natstest.Embedded(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := events.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}

	// An event whose transaction rolls back never leaves.
	tx := db.MustBegin()
	if err := outbox.Add(ctx, tx, events.SubjectPublished, "rolled-back", map[string]int{"release_id": 9}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	// Two committed events, one added twice.
	err = postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		for _, id := range []string{"e1", "e2", "e1"} {
			if err := outbox.Add(ctx, tx, events.SubjectPublished, id, map[string]string{"id": id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	relay := &outbox.Relay{DB: db, DSN: dsn, JS: js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Poll: 50 * time.Millisecond}
	relay.Start(ctx)
	defer relay.Stop()
	waitPublished(t, db, 2)

	// As if the process died after publishing and before marking: the rows
	// are sent again, and JetStream keeps one copy of each.
	pgtest.Exec(t, db, `UPDATE outbox SET published_at = NULL`)
	waitPublished(t, db, 2)
	relay.Stop()
	relay.Stop() // idempotent

	info, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 2 {
		t.Fatalf("stream holds %d events, want 2", n)
	}
}

func waitPublished(t *testing.T, db *sqlx.DB, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		db.Get(&n, `SELECT count(*) FROM outbox WHERE published_at IS NOT NULL`)
		if n == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("outbox rows were not all published")
}
