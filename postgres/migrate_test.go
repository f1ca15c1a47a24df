package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
)

func TestMigrateEmptyThenCurrent(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	n, err := postgres.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if n == 0 || postgres.SchemaVersion() < n {
		t.Fatalf("first migrate applied %d, schema version %d", n, postgres.SchemaVersion())
	}
	if err := postgres.CheckVersion(ctx, db); err != nil {
		t.Fatal(err)
	}
	n, err = postgres.Migrate(ctx, db)
	if err != nil || n != 0 {
		t.Fatalf("second migrate: applied %d, err %v; want 0, nil", n, err)
	}
	var tables int
	if err := db.Get(&tables, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('contacts','subscriptions','releases','dispatches','deliveries','outbox')`); err != nil || tables != 6 {
		t.Fatalf("tables = %d, %v", tables, err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t)
	pgtest.Exec(t, db, `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`)
	_, err := postgres.Migrate(ctx, db)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on newer schema: %v, want an error saying newer", err)
	}
	if err := postgres.CheckVersion(ctx, db); err == nil {
		t.Fatal("CheckVersion accepted a newer schema")
	}
}

func TestOpenCreatesMissingDatabase(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	// Drop what pgtest created, so Open must create it.
	admin, err := postgres.Open(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	if _, err := admin.Exec(`DROP DATABASE "` + name + `"`); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open missing database: %v", err)
	}
	db.Close()
}
