// Package postgres opens the service's PostgreSQL database and keeps its
// schema current with the migrations embedded in the binary.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Open connects to the database at dsn, creating the database first when it
// does not exist, and checks the connection.
func Open(ctx context.Context, dsn string) (*sqlx.DB, error) {
	return OpenPool(ctx, dsn, Pool{})
}

// Pool shapes a connection pool: its size and the session settings every
// connection starts with.
type Pool struct {
	// MaxOpen bounds the pool's connections (20 when zero).
	MaxOpen int
	// StatementTimeout and IdleInTransaction, when set, end a statement
	// or an idle transaction that runs longer, so a slow client cannot
	// hold a connection for ever.
	StatementTimeout, IdleInTransaction time.Duration
}

// OpenPool is Open with a pool shaped by p. Pools opened apart from one
// another cannot starve each other: the dispatcher keeps sending however
// many slow requests hold the API's.
func OpenPool(ctx context.Context, dsn string, p Pool) (*sqlx.DB, error) {
	dsn, err := withSettings(dsn, p)
	if err != nil {
		return nil, err
	}
	db, err := connect(ctx, dsn, p)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name
		if err := createDatabase(ctx, dsn); err != nil {
			return nil, err
		}
		db, err = connect(ctx, dsn, p)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// withSettings adds p's session settings to dsn as run-time parameters,
// which the server applies to every connection at start-up; settings the
// URL already gives are left as they are.
func withSettings(dsn string, p Pool) (string, error) {
	set := map[string]time.Duration{"statement_timeout": p.StatementTimeout, "idle_in_transaction_session_timeout": p.IdleInTransaction}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("database URL: %w", redactURLError(err))
		}
		q := u.Query()
		for k, d := range set {
			if d > 0 && !q.Has(k) {
				q.Set(k, fmt.Sprint(d.Milliseconds()))
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	for k, d := range set {
		if d > 0 && !strings.Contains(dsn, k+"=") {
			dsn += fmt.Sprintf(" %s=%d", k, d.Milliseconds())
		}
	}
	return dsn, nil
}

// redactURLError drops the URL from a parse error: it may hold a password.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func connect(ctx context.Context, dsn string, p Pool) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	maxOpen := p.MaxOpen
	if maxOpen <= 0 {
		maxOpen = 20
	}
	db.SetMaxOpenConns(maxOpen)
	// As many idle as open: a busy dispatcher uses them all, and a
	// connection closed on return is a new server process and a cold
	// cache on the next use. Idle ones close after five minutes.
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database %s: %w", Redact(dsn), err)
	}
	return db, nil
}

// createDatabase creates the database named in dsn through the server's
// maintenance database.
func createDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("database %s does not exist and its URL cannot be parsed to create it", Redact(dsn))
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("database URL %s names no database", Redact(dsn))
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := connect(ctx, admin.String(), Pool{MaxOpen: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Redact hides the password of a database URL for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// Tx runs fn in a transaction, committing when fn returns nil.
func Tx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation of
// the named constraint (any constraint when name is empty).
func IsUniqueViolation(err error, name string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" && (name == "" || pqErr.Constraint == name)
}

// IsNoRows reports whether err means a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
