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
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this binary expects: its newest
// migration's number.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
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
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.version] = true
	}
	applied := 0
	for _, m := range ms {
		did, err := apply(ctx, db, m, known)
		if err != nil {
			return applied, err
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

// apply runs m unless the database has it. Each migration is recorded by
// its number, so one merged with a lower number than the newest applied
// still runs.
func apply(ctx context.Context, db *sqlx.DB, m migration, known map[int]bool) (bool, error) {
	did := false
	err := Tx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		var versions []int
		if err := tx.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		for _, v := range versions {
			if !known[v] {
				return fmt.Errorf("database has migration %d, which this binary does not know: it is newer, upgrade the binary", v)
			}
		}
		for _, v := range versions {
			if v == m.version {
				return nil
			}
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

// CheckVersion returns an error unless the database has exactly the
// migrations this binary knows.
func CheckVersion(ctx context.Context, db *sqlx.DB) error {
	var versions []int
	if err := db.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		return fmt.Errorf("read schema version (run 'communique migrate'): %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	have := map[int]bool{}
	for _, v := range versions {
		have[v] = true
	}
	for _, m := range ms {
		if !have[m.version] {
			return fmt.Errorf("database lacks migration %s: run 'communique migrate'", m.name)
		}
		delete(have, m.version)
	}
	for v := range have {
		return fmt.Errorf("database has migration %d, which this binary does not know: upgrade the binary", v)
	}
	return nil
}
