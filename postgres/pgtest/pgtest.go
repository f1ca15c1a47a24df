// Package pgtest gives tests a database of their own on the machine's
// PostgreSQL, migrated and dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/postgres"
)

// ServerURL is the PostgreSQL server tests use; COMMUNIQUE_TEST_DATABASE_URL
// overrides it (its database part is ignored).
func ServerURL() string {
	if u := os.Getenv("COMMUNIQUE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// URL creates an empty database for t and returns its URL; the database is
// dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 4)
	rand.Read(b)
	name := unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = "test_" + name + "_" + hex.EncodeToString(b)

	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("pgtest: bad server URL: %v", err)
	}
	admin, err := sqlx.Open("postgres", u.String())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		t.Fatalf("pgtest: create database (is PostgreSQL running on %s?): %v", u.Host, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// DB returns a connection to a new, migrated database for t.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, _ := DBURL(t)
	return db
}

// DBURL is DB with the database's URL, for a test that also starts
// something which connects on its own (a dispatcher's listener).
func DBURL(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	ctx := context.Background()
	dsn := URL(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("pgtest: migrate: %v", err)
	}
	return db, dsn
}

// Exec runs statements on db, failing t on error; for fixtures.
func Exec(t testing.TB, db *sqlx.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", firstLine(query), err)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + "…"
	}
	return fmt.Sprint(s)
}
