package tracking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Item is one inbound message as the API lists it.
type Item struct {
	ID           int64     `json:"id" db:"id"`
	ReceivedAt   time.Time `json:"received_at" db:"received_at"`
	Kind         string    `json:"kind" db:"kind"`
	Reason       string    `json:"reason" db:"reason"`
	Status       string    `json:"status" db:"status"`
	DeliveryID   *int64    `json:"delivery_id" db:"delivery_id"`
	MessageID    *int64    `json:"message_id,omitempty" db:"message_id"`
	ContactID    *int64    `json:"contact_id,omitempty" db:"contact_id"`
	Recipient    string    `json:"recipient" db:"recipient"`
	FeedbackType string    `json:"feedback_type" db:"feedback_type"`
	Diagnostic   string    `json:"diagnostic" db:"diagnostic"`
	Effect       string    `json:"effect" db:"effect"`
}

// Filter selects inbound messages: of one kind, older than the id After
// (the cursor of the previous page), at most Limit.
type Filter struct {
	Kind  string
	After int64
	Limit int
}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k string) bool {
	return slices.Contains(Kinds, Kind(k))
}

const itemColumns = `id, received_at, kind, reason, status, delivery_id, message_id, contact_id, recipient, feedback_type, diagnostic, effect`

// List returns up to f.Limit inbound messages matching f, newest first.
func List(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]Item, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	items := []Item{}
	err := sqlx.SelectContext(ctx, q, &items, `SELECT `+itemColumns+` FROM inbound
		WHERE ($1 = '' OR kind = $1) AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`, f.Kind, f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list inbound: %w", err)
	}
	return items, nil
}

// Attempt is one SMTP attempt of a delivery.
type Attempt struct {
	Attempt   int       `json:"attempt" db:"attempt"`
	At        time.Time `json:"at" db:"at"`
	Status    string    `json:"status" db:"status"`
	SMTPCode  *int      `json:"smtp_code" db:"smtp_code"`
	SMTPReply string    `json:"smtp_reply" db:"smtp_reply"`
}

// Delivery is a delivery with its timeline: the SMTP attempts that sent
// it and what came back afterwards.
type Delivery struct {
	ID        int64      `json:"id" db:"id"`
	ReleaseID int64      `json:"release_id" db:"release_id"`
	Variant   string     `json:"variant" db:"variant"`
	ContactID int64      `json:"contact_id" db:"contact_id"`
	Email     string     `json:"email" db:"email"`
	Language  string     `json:"language" db:"language"`
	Status    string     `json:"status" db:"status"`
	Attempts  int        `json:"attempts" db:"attempts"`
	SMTPCode  *int       `json:"smtp_code" db:"smtp_code"`
	SMTPReply string     `json:"smtp_reply" db:"smtp_reply"`
	QueuedAt  time.Time  `json:"queued_at" db:"queued_at"`
	SentAt    *time.Time `json:"sent_at" db:"sent_at"`
	// ProviderID is the id the relay gave the message ("queued as …").
	ProviderID string          `json:"provider_id,omitempty" db:"provider_id"`
	Timeline   []TimelineEvent `json:"timeline" db:"-"`
}

// TimelineEvent is one entry of a delivery's timeline: an SMTP attempt, an
// inbound message about it, or its first open or click of a link (for a
// release that tracks them).
type TimelineEvent struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"` // "attempt", "inbound", "open" or "click"
	Attempt *Attempt  `json:"attempt,omitempty"`
	Inbound *Item     `json:"inbound,omitempty"`
	Engaged *Engaged  `json:"engagement,omitempty"`
}

// GetDelivery returns delivery id with its timeline, oldest first. A
// missing delivery is an ENOTFOUND error.
func GetDelivery(ctx context.Context, q sqlx.QueryerContext, id int64) (*Delivery, error) {
	var d Delivery
	err := sqlx.GetContext(ctx, q, &d, `
		SELECT d.id, x.release_id, x.variant, d.contact_id, d.email, d.language, d.status, d.attempts,
			d.smtp_code, d.smtp_reply, d.queued_at, d.sent_at,
			coalesce((SELECT max(p.provider_id) FROM delivery_provider_ids p WHERE p.delivery_id = d.id), '') AS provider_id
		FROM deliveries d JOIN dispatches x ON x.id = d.dispatch_id WHERE d.id = $1`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "delivery %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get delivery %d: %w", id, err)
	}
	var attempts []Attempt
	if err := sqlx.SelectContext(ctx, q, &attempts, `SELECT attempt, at, status, smtp_code, smtp_reply
		FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`, id); err != nil {
		return nil, fmt.Errorf("attempts of delivery %d: %w", id, err)
	}
	var items []Item
	if err := sqlx.SelectContext(ctx, q, &items, `SELECT `+itemColumns+` FROM inbound WHERE delivery_id = $1 ORDER BY id`, id); err != nil {
		return nil, fmt.Errorf("inbound of delivery %d: %w", id, err)
	}
	// In this order, so that on a tie an attempt comes before what came
	// back about it; withEngagement sorts the whole by time.
	d.Timeline = make([]TimelineEvent, 0, len(attempts)+len(items))
	for i := range attempts {
		d.Timeline = append(d.Timeline, TimelineEvent{At: attempts[i].At, Type: "attempt", Attempt: &attempts[i]})
	}
	for i := range items {
		d.Timeline = append(d.Timeline, TimelineEvent{At: items[i].ReceivedAt, Type: "inbound", Inbound: &items[i]})
	}
	if d.Timeline, err = withEngagement(ctx, q, id, d.Timeline); err != nil {
		return nil, err
	}
	return &d, nil
}
