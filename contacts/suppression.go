package contacts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Suppression reasons. A suppressed address is never sent a release,
// whatever its contact's status says.
const (
	ReasonUnsubscribed = "unsubscribed"
	ReasonBounced      = "bounced"
	ReasonComplained   = "complained"
	ReasonBlocked      = "blocked"
)

// Suppression is an address on the suppression list, stored in lower case.
type Suppression struct {
	Email     string    `db:"email" json:"email"`
	Reason    string    `db:"reason" json:"reason"`
	Detail    string    `db:"detail" json:"detail"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Suppress puts an address on the suppression list, or changes the reason
// and detail of its entry, and gives its contact, if any, the matching
// status: bounced, blocked, or unsubscribed for a complaint or an
// unsubscription. It reports whether the entry is new.
func Suppress(ctx context.Context, db *sqlx.DB, s Suppression) (*Suppression, bool, error) {
	s.Email = strings.TrimSpace(s.Email)
	var p []string
	if reason := CheckEmail(s.Email); reason != "" {
		p = append(p, reason)
	}
	switch s.Reason {
	case ReasonUnsubscribed, ReasonBounced, ReasonComplained, ReasonBlocked:
	case "":
		p = append(p, "reason is missing (unsubscribed, bounced, complained or blocked)")
	default:
		p = append(p, fmt.Sprintf("reason %q is not unsubscribed, bounced, complained or blocked", s.Reason))
	}
	if err := communique.Invalid("invalid suppression", p); err != nil {
		return nil, false, err
	}
	var out struct {
		Suppression
		Created bool `db:"created"`
	}
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &out, `
			INSERT INTO suppressions (email, reason, detail) VALUES (lower($1), $2, $3)
			ON CONFLICT (email) DO UPDATE SET reason = EXCLUDED.reason, detail = EXCLUDED.detail
			RETURNING email, reason, detail, created_at, (xmax = 0) AS created`,
			s.Email, s.Reason, s.Detail); err != nil {
			return fmt.Errorf("suppress %s: %w", s.Email, err)
		}
		// Blocking outranks a bounce, which outranks an unsubscription:
		// a contact never moves down that order here.
		if _, err := tx.ExecContext(ctx, `
			UPDATE contacts SET status = $2, updated_at = now()
			WHERE lower(email) = lower($1) AND status <> $2
			  AND CASE $2 WHEN 'blocked' THEN true
			              WHEN 'bounced' THEN status IN ('active', 'pending', 'unsubscribed')
			              ELSE status IN ('active', 'pending') END`,
			s.Email, statusForReason(s.Reason)); err != nil {
			return fmt.Errorf("suppress %s: update contact: %w", s.Email, err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return &out.Suppression, out.Created, nil
}

// Lift removes an address from the suppression list and returns the entry
// it removed and the status of the address's contact afterwards ("" when
// there is none). A contact that was bounced or blocked becomes active; an
// unsubscribed one stays unsubscribed, since only the subscriber can
// subscribe again, but may now do so. An address that is not on the list
// is an ENOTFOUND error.
func Lift(ctx context.Context, db *sqlx.DB, email string) (*Suppression, string, error) {
	var (
		s      Suppression
		status string
	)
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &s, `
			DELETE FROM suppressions WHERE email = lower($1) RETURNING email, reason, detail, created_at`,
			strings.TrimSpace(email))
		if postgres.IsNoRows(err) {
			return communique.Errorf(communique.ENOTFOUND, "%s is not suppressed", email)
		}
		if err != nil {
			return fmt.Errorf("lift suppression of %s: %w", email, err)
		}
		err = tx.GetContext(ctx, &status, `
			UPDATE contacts SET
				status = CASE WHEN status IN ('bounced', 'blocked') THEN 'active' ELSE status END,
				updated_at = now()
			WHERE lower(email) = $1 RETURNING status`, s.Email)
		if err != nil && !postgres.IsNoRows(err) {
			return fmt.Errorf("lift suppression of %s: update contact: %w", email, err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return &s, status, nil
}

// SuppressionFilter selects entries for ListSuppressions; empty fields
// match everything.
type SuppressionFilter struct {
	Reason string
	// Query matches a part of the address, ignoring case.
	Query string
	// Limit caps the page: DefaultLimit when 0; more than MaxLimit is
	// an error.
	Limit int
	// After pages by address: the page starts after this one.
	After string
}

// SuppressionPage is one page of the suppression list in address order.
type SuppressionPage struct {
	Suppressions []Suppression `json:"suppressions"`
	// Next is the After of the following page, "" on the last page.
	Next string `json:"next,omitempty"`
}

// ListSuppressions returns a page of the suppression list in address order.
func ListSuppressions(ctx context.Context, q sqlx.QueryerContext, f SuppressionFilter) (*SuppressionPage, error) {
	var p []string
	switch f.Reason {
	case "", ReasonUnsubscribed, ReasonBounced, ReasonComplained, ReasonBlocked:
	default:
		p = append(p, fmt.Sprintf("reason %q is not unsubscribed, bounced, complained or blocked", f.Reason))
	}
	if f.Limit < 0 {
		p = append(p, "limit must not be negative")
	}
	if f.Limit > MaxLimit {
		p = append(p, fmt.Sprintf("limit: %d is more than the maximum, %d", f.Limit, MaxLimit))
	}
	if err := communique.Invalid("invalid suppression filter", p); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	out := &SuppressionPage{Suppressions: []Suppression{}}
	err := sqlx.SelectContext(ctx, q, &out.Suppressions, `
		SELECT email, reason, detail, created_at FROM suppressions
		WHERE ($1 = '' OR reason = $1) AND email > lower($2)
		  AND ($3 = '' OR email LIKE '%' || $3 || '%' ESCAPE '\')
		ORDER BY email LIMIT $4`,
		f.Reason, f.After, escapeLike(strings.ToLower(strings.TrimSpace(f.Query))), limit+1)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	if len(out.Suppressions) > limit {
		out.Suppressions = out.Suppressions[:limit]
		out.Next = out.Suppressions[limit-1].Email
	}
	return out, nil
}

// suppressionReason returns why email is suppressed, or "".
func suppressionReason(ctx context.Context, q sqlx.QueryerContext, email string) (string, error) {
	var reason string
	err := sqlx.GetContext(ctx, q, &reason, `SELECT reason FROM suppressions WHERE email = lower($1)`, email)
	if postgres.IsNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("check suppression of %s: %w", email, err)
	}
	return reason, nil
}

// statusForReason is the contact status a suppression reason implies.
func statusForReason(reason string) string {
	switch reason {
	case ReasonBounced:
		return StatusBounced
	case ReasonBlocked:
		return StatusBlocked
	default: // unsubscribed or complained
		return StatusUnsubscribed
	}
}

// suppressForStatus suppresses email when status says it must not be sent
// to, keeping an existing entry as it is.
func suppressForStatus(ctx context.Context, tx *sqlx.Tx, email, status, detail string) error {
	var reason string
	switch status {
	case StatusUnsubscribed:
		reason = ReasonUnsubscribed
	case StatusBounced:
		reason = ReasonBounced
	case StatusBlocked:
		reason = ReasonBlocked
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO suppressions (email, reason, detail) VALUES (lower($1), $2, $3)
		ON CONFLICT (email) DO NOTHING`, email, reason, detail); err != nil {
		return fmt.Errorf("suppress %s: %w", email, err)
	}
	return nil
}
