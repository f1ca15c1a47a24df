package releases

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
)

// Delivery is one message of a release to one contact, as tracked.
type Delivery struct {
	ID        int64      `db:"id" json:"id"`
	ContactID int64      `db:"contact_id" json:"contact_id"`
	Email     string     `db:"email" json:"email"`
	Language  string     `db:"language" json:"language"`
	Variant   string     `db:"variant" json:"variant"`
	Status    string     `db:"status" json:"status"`
	Attempts  int        `db:"attempts" json:"attempts"`
	SMTPCode  *int       `db:"smtp_code" json:"smtp_code,omitempty"`
	SMTPReply string     `db:"smtp_reply" json:"smtp_reply,omitempty"`
	QueuedAt  time.Time  `db:"queued_at" json:"queued_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at,omitempty"`
	NextTryAt *time.Time `db:"next_attempt_at" json:"next_attempt_at,omitempty"`
}

// DeliveryFilter selects a page of a release's deliveries, in id order
// after AfterID.
type DeliveryFilter struct {
	Status string
	// Language and Variant, when set, keep the deliveries in that
	// language, or of that message (public, embargoed, correction…).
	Language, Variant string
	AfterID           int64
	Limit             int
}

// deliveryStatuses are the statuses a filter may name.
var deliveryStatuses = map[string]bool{"queued": true, "sent": true, "deferred": true, "failed": true,
	"bounced": true, "complained": true, "suppressed": true, "cancelled": true}

// variants are the messages a dispatch sends.
var variants = map[string]bool{"public": true, "embargoed": true, "correction": true, "recall": true, "embargo_changed": true}

// Deliveries lists a page of release id's deliveries; next is the AfterID
// of the following page, or 0 after the last.
func Deliveries(ctx context.Context, db *sqlx.DB, id int64, f DeliveryFilter) (page []Delivery, next int64, err error) {
	if f.Status != "" && !deliveryStatuses[f.Status] {
		return nil, 0, communique.Invalid("invalid query", []string{fmt.Sprintf("status: %q is not a delivery status", f.Status)})
	}
	if f.Variant != "" && !variants[f.Variant] {
		return nil, 0, communique.Invalid("invalid query", []string{fmt.Sprintf("variant: %q is not a message of a release", f.Variant)})
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if err := mustExist(ctx, db, id); err != nil {
		return nil, 0, err
	}
	page = []Delivery{}
	if err := db.SelectContext(ctx, &page, `
		SELECT d.id, d.contact_id, d.email, d.language, s.variant, d.status, d.attempts, d.smtp_code,
			d.smtp_reply, d.queued_at, d.sent_at,
			CASE WHEN d.status = 'deferred' THEN d.next_attempt_at END AS next_attempt_at
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE s.release_id = $1 AND ($2 = '' OR d.status = $2) AND d.id > $3
		  AND ($5 = '' OR d.language = $5) AND ($6 = '' OR s.variant = $6)
		ORDER BY d.id LIMIT $4`, id, f.Status, f.AfterID, f.Limit+1, f.Language, f.Variant); err != nil {
		return nil, 0, fmt.Errorf("deliveries of release %d: %w", id, err)
	}
	if len(page) > f.Limit {
		page = page[:f.Limit]
		next = page[len(page)-1].ID
	}
	return page, next, nil
}
