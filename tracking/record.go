package tracking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/postgres"
)

// DefaultSoftBounceLimit is how many soft bounces within SoftBounceWindow,
// with nothing delivered between, suppress an address.
const DefaultSoftBounceLimit = 5

// SoftBounceWindow is how far back soft bounces count.
const SoftBounceWindow = 30 * 24 * time.Hour

// deliveredAfter is how long a sent delivery must go without a bounce to
// count as delivered: most bounces come back within minutes, and a relay
// that keeps trying gives up within a day or warns.
const deliveredAfter = 24 * time.Hour

// maxStoredBytes caps the raw message kept with each record.
const maxStoredBytes = 64 << 10

// Inbound is one message as it arrived for one of our addresses.
type Inbound struct {
	EnvelopeFrom string
	EnvelopeTo   string
	Target       Target
	Raw          []byte
}

// Record is what an inbound message was found to be and what it did.
type Record struct {
	ID         int64
	Result     Result
	DeliveryID int64
	MessageID  int64
	ContactID  int64
	Recipient  string
	// Effect says what changed: "bounced", "complained", "unsubscribed",
	// "suppressed", "counted 2 of 5" or "recorded".
	Effect string
}

// Recorder classifies inbound messages and applies their effects.
type Recorder struct {
	DB *sqlx.DB
	// SoftBounceLimit is the soft bounces that suppress an address;
	// DefaultSoftBounceLimit when zero.
	SoftBounceLimit int
}

// matched is the delivery, message or contact an inbound message answers.
type matched struct {
	deliveryID, messageID, contactID sql.NullInt64
	email                            string
}

// Record classifies in, and in one transaction stores it and applies its
// effect: a hard bounce marks the delivery or message bounced and
// suppresses the address; a soft one counts toward SoftBounceLimit; a
// complaint marks the delivery complained and suppresses the address; an
// unsubscribe mail unsubscribes the contact. Delays, auto-replies and the
// unknown are only stored.
func (rc *Recorder) Record(ctx context.Context, in Inbound) (*Record, error) {
	res := Classify(in.Raw, in.EnvelopeTo)
	rec := &Record{Result: res}
	err := postgres.Tx(ctx, rc.DB, func(tx *sqlx.Tx) error {
		m, err := match(ctx, tx, in.Target)
		if err != nil {
			return err
		}
		rec.Recipient = m.email
		if rec.Recipient == "" {
			rec.Recipient = strings.ToLower(res.Recipient)
		}
		if rec.Effect, err = rc.apply(ctx, tx, res, m, 0); err != nil {
			return err
		}
		raw := in.Raw
		if len(raw) > maxStoredBytes {
			raw = raw[:maxStoredBytes]
		}
		err = tx.GetContext(ctx, &rec.ID, `
			INSERT INTO inbound (envelope_from, envelope_to, kind, reason, status, diagnostic, feedback_type,
				recipient, delivery_id, message_id, contact_id, original_message_id, effect, size, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			clean(in.EnvelopeFrom, 320), clean(in.EnvelopeTo, 320), string(res.Kind), res.Reason, res.Status,
			res.Diagnostic, res.FeedbackType, rec.Recipient, m.deliveryID, m.messageID, m.contactID,
			res.MessageID, rec.Effect, len(in.Raw), raw)
		if err != nil {
			return fmt.Errorf("record inbound: %w", err)
		}
		rec.DeliveryID, rec.MessageID, rec.ContactID = m.deliveryID.Int64, m.messageID.Int64, m.contactID.Int64
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// match locks the delivery, message or contact target names. One that no
// longer exists matches nothing; the message is still stored.
func match(ctx context.Context, tx *sqlx.Tx, t Target) (matched, error) {
	var m matched
	var q string
	switch t.Kind {
	case TargetDelivery:
		q = `SELECT id, NULL::bigint, contact_id, lower(email) FROM deliveries WHERE id = $1 FOR UPDATE`
	case TargetMessage:
		q = `SELECT NULL::bigint, id, contact_id, lower(to_email) FROM messages WHERE id = $1 FOR UPDATE`
	case TargetContact:
		q = `SELECT NULL::bigint, NULL::bigint, id, lower(email) FROM contacts WHERE id = $1 FOR UPDATE`
	default:
		return m, nil
	}
	err := tx.QueryRowContext(ctx, q, t.ID).Scan(&m.deliveryID, &m.messageID, &m.contactID, &m.email)
	if postgres.IsNoRows(err) {
		return matched{}, nil
	}
	if err != nil {
		return m, fmt.Errorf("match inbound to %d: %w", t.ID, err)
	}
	return m, nil
}

// apply makes res's effect on what it matched and returns its summary.
// self is the inbound row being applied when it is already stored, so
// that it is not counted twice.
func (rc *Recorder) apply(ctx context.Context, tx *sqlx.Tx, res Result, m matched, self int64) (string, error) {
	if m.email == "" {
		return "recorded", nil
	}
	detail := strings.TrimSpace(res.Status + " " + res.Diagnostic)
	switch {
	case res.Kind == Hard:
		if err := markDelivery(ctx, tx, m, "bounced"); err != nil {
			return "", err
		}
		return "bounced", suppress(ctx, tx, m, "bounced", detail)
	case res.Kind == Soft && aboutUs(res.Reason):
		return "recorded", nil
	case res.Kind == Soft:
		n, err := softCount(ctx, tx, m, self)
		if err != nil {
			return "", err
		}
		limit := rc.SoftBounceLimit
		if limit <= 0 {
			limit = DefaultSoftBounceLimit
		}
		if n < limit {
			return fmt.Sprintf("counted %d of %d", n, limit), nil
		}
		return "suppressed", suppress(ctx, tx, m, "bounced", fmt.Sprintf("%d soft bounces, the last: %s", n, detail))
	case res.Kind == Complaint && res.Reason == ReasonComplaint:
		if err := markDelivery(ctx, tx, m, "complained"); err != nil {
			return "", err
		}
		return "complained", suppress(ctx, tx, m, "complained", "feedback report: "+res.FeedbackType)
	case res.Kind == Unsubscribe:
		return "unsubscribed", suppress(ctx, tx, m, "unsubscribed", "unsubscribe mail")
	}
	return "recorded", nil
}

// markDelivery gives the matched delivery or message its final status.
// Messages have no complained status: the suppression says it.
func markDelivery(ctx context.Context, tx *sqlx.Tx, m matched, status string) error {
	var err error
	switch {
	case m.deliveryID.Valid:
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, next_attempt_at = NULL
			WHERE id = $1 AND status NOT IN ('bounced', 'complained')`,
			m.deliveryID.Int64, status)
	case m.messageID.Valid && status == "bounced":
		_, err = tx.ExecContext(ctx, `UPDATE messages SET status = 'bounced' WHERE id = $1`, m.messageID.Int64)
	}
	if err != nil {
		return fmt.Errorf("mark %s: %w", status, err)
	}
	return nil
}

// suppress adds the address to the suppression list with reason, keeping
// an existing entry, and gives its contact the status the reason implies
// (bounced, or unsubscribed after a complaint or an unsubscribe), as the
// one-click unsubscribe and the dispatcher's own bounces do.
func suppress(ctx context.Context, tx *sqlx.Tx, m matched, reason, detail string) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO suppressions (email, reason, detail) VALUES ($1, $2, left($3, 500))
		ON CONFLICT (email) DO NOTHING`, m.email, reason, detail); err != nil {
		return fmt.Errorf("suppress %s: %w", m.email, err)
	}
	status := "unsubscribed"
	if reason == "bounced" {
		status = "bounced"
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE contacts SET status = $2, updated_at = now()
		WHERE lower(email) = $1 AND status IN ('active', 'pending')`, m.email, status); err != nil {
		return fmt.Errorf("set contact of %s %s: %w", m.email, status, err)
	}
	return nil
}

// softCount is the address's soft bounces, this one included, within the
// window and since its last delivery that drew no bounce. Deliveries are
// looked up per recent dispatch, through the (dispatch, contact) key.
func softCount(ctx context.Context, tx *sqlx.Tx, m matched, self int64) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, `
		WITH good AS (
			SELECT max(d.sent_at) AS at
			FROM dispatches x JOIN deliveries d ON d.dispatch_id = x.id AND d.contact_id = $2
			WHERE x.created_at > now() - $3 * interval '1 second' AND d.id IS DISTINCT FROM $5
			  AND d.status = 'sent' AND d.sent_at < now() - $4 * interval '1 second'
			  AND NOT EXISTS (SELECT 1 FROM inbound i WHERE i.delivery_id = d.id AND i.kind IN ('hard', 'soft', 'complaint')))
		SELECT count(*) + 1 FROM inbound, good
		WHERE kind = 'soft' AND recipient = $1 AND reason NOT IN ('blocked', 'policy') AND id <> $6
		  AND received_at > now() - $3 * interval '1 second'
		  AND received_at > coalesce(good.at, '-infinity')`,
		m.email, m.contactID, SoftBounceWindow.Seconds(), deliveredAfter.Seconds(), m.deliveryID, self)
	if err != nil {
		return 0, fmt.Errorf("count soft bounces of %s: %w", m.email, err)
	}
	return n, nil
}

// aboutUs reports soft bounces that say nothing about the recipient: a
// block of our IP or domain, or a policy refusal of our mail. However
// many come back, they must not suppress a reader.
func aboutUs(reason string) bool {
	return reason == ReasonBlocked || reason == ReasonPolicy
}
