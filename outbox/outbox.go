// Package outbox makes events as durable as the state they describe: an
// event is written in the same transaction as the change, and a relay
// publishes it to JetStream afterwards with a de-duplication id, so neither
// a crash nor a retry loses or doubles it.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// notifyChannel wakes relays as soon as a transaction with events commits.
const notifyChannel = "communique_outbox"

// Add records an event inside tx. msgID must be unique per logical event:
// adding the same id twice is a no-op, and JetStream drops a republished one.
func Add(ctx context.Context, tx *sqlx.Tx, subject, msgID string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("outbox: encode %s: %w", subject, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO outbox (subject, msg_id, payload) VALUES ($1, $2, $3) ON CONFLICT (msg_id) DO NOTHING`,
		subject, msgID, b); err != nil {
		return fmt.Errorf("outbox: add %s: %w", subject, err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, notifyChannel); err != nil {
		return fmt.Errorf("outbox: notify: %w", err)
	}
	return nil
}
