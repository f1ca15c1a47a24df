package releases

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID        int64           `db:"id" json:"id"`
	At        time.Time       `db:"at" json:"at"`
	Actor     string          `db:"actor" json:"actor"`
	Client    string          `db:"client" json:"client,omitempty"`
	Action    string          `db:"action" json:"action"`
	ReleaseID *int64          `db:"release_id" json:"release_id,omitempty"`
	Details   json.RawMessage `db:"details" json:"details"`
}

// AuditFilter selects audit entries, newest last, after AfterID.
type AuditFilter struct {
	ReleaseID, AfterID, Limit int64
	// Actor, when set, keeps one actor's entries ("user:EMAIL",
	// "token:NAME", "bootstrap").
	Actor string
}

// Audit lists audit entries.
func Audit(ctx context.Context, db *sqlx.DB, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	entries := []AuditEntry{}
	if err := db.SelectContext(ctx, &entries, `
		SELECT id, at, actor, client, action, release_id, details FROM audit_log
		WHERE ($1 = 0 OR release_id = $1) AND id > $2 AND ($4 = '' OR actor = $4)
		ORDER BY id LIMIT $3`, f.ReleaseID, f.AfterID, f.Limit, f.Actor); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return entries, nil
}
