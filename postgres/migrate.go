package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := migrationFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this binary expects.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrationLock serializes concurrent migrators (several processes starting
// at once) with a transaction-scoped advisory lock.
const migrationLock = 0x636f6d6d // "comm"

// Migrate applies every migration the database has not seen, each in its own
// transaction, and refuses a database whose schema is newer than the binary.
// It returns the number of migrations applied.
func Migrate(ctx context.Context, db *sqlx.DB) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    int PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range ms {
		did, err := apply(ctx, db, m, len(ms))
		if err != nil {
			return applied, err
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func apply(ctx context.Context, db *sqlx.DB, m migration, latest int) (bool, error) {
	did := false
	err := Tx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		var current int
		if err := tx.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > latest {
			return fmt.Errorf("database schema is version %d, newer than this binary's %d: upgrade the binary", current, latest)
		}
		if current >= m.version {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		did = true
		return nil
	})
	return did, err
}

// CheckVersion returns an error unless the database schema is exactly the
// version this binary expects.
func CheckVersion(ctx context.Context, db *sqlx.DB) error {
	var current int
	if err := db.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return fmt.Errorf("read schema version (run 'communique migrate'): %w", err)
	}
	if want := SchemaVersion(); current != want {
		return fmt.Errorf("database schema is version %d, this binary expects %d: run 'communique migrate'", current, want)
	}
	return nil
}
