package office

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/postgres/pgtest"
)

// testDB is a migrated database of the test's own and its URL, which the
// dispatcher listens on for queued messages.
func testDB(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	return pgtest.DBURL(t)
}

// startDispatcher runs the dispatcher that sends the office's queued mail
// through pool, as the service does.
func startDispatcher(t testing.TB, db *sqlx.DB, dsn string, pool *mailer.Pool) {
	t.Helper()
	ctx := context.Background()
	nc, err := events.Connect(natstest.Embedded(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{DB: db, DSN: dsn, JS: js, Logger: slog.New(slog.DiscardHandler),
		Pools: []*mailer.Pool{pool}, Signer: links.NewSigner("office test"),
		FromName: "Media Office", FromEmail: "media@example.org", BaseURL: "https://news.example.org",
		RetryBase: 200 * time.Millisecond})
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
}

// settle waits for the work queued after answering and for the mail it
// queued to leave.
func (b *bundle) settle() {
	b.t.Helper()
	b.h.jobs.wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := b.db.Get(&n, `SELECT count(*) FROM messages WHERE status = 'queued'`); err != nil {
			b.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatal("queued messages were not sent within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
