package tracking

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres"
)

// Event is what a provider's webhook reported about one message to one
// recipient, already verified and mapped to our vocabulary.
type Event struct {
	Source  string // "ses", "mailgun", "sendgrid", "postmark"
	EventID string // the provider's id, kept by its retries
	Result  Result
	// ReturnPath is the envelope sender the message left with, when the
	// provider reports it: our signed bounce address.
	ReturnPath string
	// ProviderID is the provider's own id of the message, which the relay
	// gave in its answer to the final dot and the dispatcher recorded on
	// the delivery (SES's mail.messageId, Postmark's MessageID,
	// SendGrid's sg_message_id, which starts with it).
	ProviderID string
	// Raw is the event as received, for the record.
	Raw []byte
}

// Matcher finds the delivery or message an event is about.
type Matcher struct {
	Domain string
	Signer *links.Signer
}

// DeliveryMessageID is the Message-ID (without angle brackets) of
// delivery id of release rel, on domain: a provider's event that quotes
// it finds the delivery (see Matcher).
func DeliveryMessageID(id, rel int64, domain string) string {
	return fmt.Sprintf("delivery-%d.release-%d@%s", id, rel, domain)
}

// ourMessageID reads DeliveryMessageID back.
var ourMessageID = regexp.MustCompile(`^<?delivery-(\d+)\.release-(\d+)@[^>]+>?$`)

// target finds what ev names: first by our signed return path, then by
// our Message-ID (delivery-ID.release-RID@domain), which names the
// release too so that a mistyped id matches nothing, then by the
// provider's id of the message.
func (mt Matcher) target(ctx context.Context, tx *sqlx.Tx, ev Event) (Target, error) {
	if ev.ReturnPath != "" && mt.Signer != nil {
		if t, err := ParseAddress(ev.ReturnPath, mt.Domain, mt.Signer); err == nil && t.Kind != TargetContact {
			return t, nil
		}
	}
	m := ourMessageID.FindStringSubmatch(strings.TrimSpace(ev.Result.MessageID))
	if m == nil {
		return byProviderID(ctx, tx, ev.ProviderID)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	rel, _ := strconv.ParseInt(m[2], 10, 64)
	var found int64
	err := tx.GetContext(ctx, &found, `SELECT d.id FROM deliveries d JOIN dispatches x ON x.id = d.dispatch_id
		WHERE d.id = $1 AND x.release_id = $2`, id, rel)
	if postgres.IsNoRows(err) {
		return byProviderID(ctx, tx, ev.ProviderID)
	}
	if err != nil {
		return Target{}, fmt.Errorf("match message id: %w", err)
	}
	return Target{Kind: TargetDelivery, ID: found}, nil
}

// byProviderID finds the delivery the relay took as id. SendGrid's
// sg_message_id is the id it answered with, a dot, and more, so the part
// before the first dot is tried too. A relay may use an id again in time
// (Postfix's short queue ids do): the newest delivery is the one meant.
func byProviderID(ctx context.Context, tx *sqlx.Tx, id string) (Target, error) {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	if id == "" || len(id) > 200 {
		return Target{}, nil
	}
	ids := []string{id}
	if before, _, ok := strings.Cut(id, "."); ok && len(before) >= 4 {
		ids = append(ids, before)
	}
	var found int64
	err := tx.GetContext(ctx, &found, `
		SELECT p.delivery_id FROM delivery_provider_ids p JOIN deliveries d ON d.id = p.delivery_id
		WHERE p.provider_id = ANY($1) ORDER BY p.delivery_id DESC LIMIT 1`,
		pq.Array(ids))
	if postgres.IsNoRows(err) {
		return Target{}, nil
	}
	if err != nil {
		return Target{}, fmt.Errorf("match provider id: %w", err)
	}
	return Target{Kind: TargetDelivery, ID: found}, nil
}

// RecordEvent stores a provider's event and applies its effect, as Record
// does for mail, in one transaction. An event already recorded (a
// provider's retry) changes nothing and reports dup. An event that
// matches no delivery still acts on the address it names.
func (rc *Recorder) RecordEvent(ctx context.Context, mt Matcher, ev Event) (rec *Record, dup bool, err error) {
	res := ev.Result
	res.Recipient = strings.ToLower(strings.TrimSpace(res.Recipient))
	res = finish(res, &parsed{})
	rec = &Record{Result: res}
	err = postgres.Tx(ctx, rc.DB, func(tx *sqlx.Tx) error {
		t, err := mt.target(ctx, tx, ev)
		if err != nil {
			return err
		}
		m, err := match(ctx, tx, t)
		if err != nil {
			return err
		}
		if m.email == "" && strings.Contains(res.Recipient, "@") {
			m.email = res.Recipient
			var cid int64
			if err := tx.GetContext(ctx, &cid, `SELECT id FROM contacts WHERE lower(email) = $1`, m.email); err == nil {
				m.contactID = sql.NullInt64{Int64: cid, Valid: true}
			} else if !postgres.IsNoRows(err) {
				return fmt.Errorf("find contact of %s: %w", m.email, err)
			}
		}
		rec.Recipient = m.email
		raw := ev.Raw
		if len(raw) > maxStoredBytes {
			raw = raw[:maxStoredBytes]
		}
		err = tx.GetContext(ctx, &rec.ID, `
			INSERT INTO inbound (source, event_id, envelope_from, kind, reason, status, diagnostic, feedback_type,
				recipient, delivery_id, message_id, contact_id, original_message_id, size, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (source, event_id) WHERE event_id IS NOT NULL DO NOTHING RETURNING id`,
			ev.Source, ev.EventID, clean(ev.ReturnPath, 320), string(res.Kind), res.Reason, res.Status, res.Diagnostic,
			res.FeedbackType, m.email, m.deliveryID, m.messageID, m.contactID, res.MessageID, len(ev.Raw), raw)
		if postgres.IsNoRows(err) {
			dup = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("record %s event: %w", ev.Source, err)
		}
		if rec.Effect, err = rc.apply(ctx, tx, res, m, rec.ID); err != nil {
			return err
		}
		rec.DeliveryID, rec.MessageID, rec.ContactID = m.deliveryID.Int64, m.messageID.Int64, m.contactID.Int64
		_, err = tx.ExecContext(ctx, `UPDATE inbound SET effect = $2 WHERE id = $1`, rec.ID, rec.Effect)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return rec, dup, nil
}
