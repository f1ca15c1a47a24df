// Package mailqueue records the messages the service sends one at a time
// (subscription confirmations, preferences links, password resets,
// welcome links, test sends) for the dispatcher's workers to send. A
// message is enqueued in the transaction of the change that calls for
// it, so it exists exactly when that change does: a relay that is down,
// a process that dies or a dispatcher that is not running delays it,
// and loses nothing.
package mailqueue

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/mailer"
)

// Kinds of message.
const (
	KindConfirmation = "confirmation"
	KindPreferences  = "preferences"
	KindReset        = "reset"
	KindWelcome      = "welcome"
	KindTest         = "test"
)

// Kinds lists every kind, in the order reports show them.
var Kinds = []string{KindConfirmation, KindPreferences, KindReset, KindWelcome, KindTest}

// Statuses a message goes through; the same names as a delivery's.
const (
	StatusQueued    = "queued"
	StatusSent      = "sent"
	StatusDeferred  = "deferred"
	StatusFailed    = "failed"
	StatusBounced   = "bounced"
	StatusCancelled = "cancelled"
)

// Statuses lists every status.
var Statuses = []string{StatusQueued, StatusSent, StatusDeferred, StatusFailed, StatusBounced, StatusCancelled}

// NotifyChannel is the PostgreSQL channel told of every message enqueued.
// PostgreSQL delivers a notification only when its transaction commits,
// so a listener never hears of a message it cannot see yet.
const NotifyChannel = "communique_messages"

// Meta says what a message is and whom it concerns; the ids are 0 when
// they do not apply.
type Meta struct {
	Kind                         string
	ContactID, UserID, ReleaseID int64
}

// Enqueue records m, built once here as the complete message, and tells
// the dispatchers, in tx: the message is sent if and only if tx commits.
// A message that cannot be built (a bad address) is an EINVALID error
// naming the field.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, m *mailer.Message, meta Meta) (int64, error) {
	if !ValidKind(meta.Kind) {
		return 0, communique.Errorf(communique.EINVALID, "kind: %q is not a kind of message", meta.Kind)
	}
	msg, err := mailer.Build(m)
	if err != nil {
		return 0, communique.Invalid("invalid message", []string{err.Error()})
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return 0, fmt.Errorf("write %s message to contact %d: %w", meta.Kind, meta.ContactID, err)
	}
	var id int64
	if err := sqlx.GetContext(ctx, tx, &id, `
		INSERT INTO messages (kind, contact_id, user_id, release_id, to_email, language, data)
		VALUES ($1, nullif($2, 0), nullif($3, 0), nullif($4, 0), $5, $6, $7)
		RETURNING id`,
		meta.Kind, meta.ContactID, meta.UserID, meta.ReleaseID, m.ToEmail, m.Language, buf.Bytes()); err != nil {
		return 0, fmt.Errorf("enqueue %s message: %w", meta.Kind, err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, NotifyChannel); err != nil {
		return 0, fmt.Errorf("enqueue %s message: notify: %w", meta.Kind, err)
	}
	return id, nil
}
