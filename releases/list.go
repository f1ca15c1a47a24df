package releases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
)

// Summary is a release as a list shows it.
type Summary struct {
	ID     int64  `db:"id" json:"id"`
	Slug   string `db:"slug" json:"slug"`
	Status string `db:"status" json:"status"`
	// Clearance is a draft's: none, submitted, cleared or returned.
	Clearance        string         `db:"clearance" json:"clearance"`
	Title            string         `db:"title" json:"title"` // in the original language
	OriginalLanguage string         `db:"original_language" json:"original_language"`
	Languages        pq.StringArray `db:"languages" json:"languages"` // original first
	EmbargoUntil     *time.Time     `db:"embargo_until" json:"embargo_until,omitempty"`
	CreatedAt        time.Time      `db:"created_at" json:"created_at"`
	PublishedAt      *time.Time     `db:"published_at" json:"published_at,omitempty"`
	// Recipients is embedded so that its columns scan into it; JSON
	// shows it as an object of its own.
	Recipients `json:"recipients"`
}

// Recipients counts the deliveries of a release itself (its embargoed
// notice and public version; not its corrections and recalls): Total
// those meant to go out, Sent those that did.
type Recipients struct {
	Sent  int `db:"sent" json:"sent"`
	Total int `db:"total" json:"total"`
}

// ListFilter selects releases for List; empty fields match everything.
type ListFilter struct {
	Status string
	// Query matches a part of the slug or of a title in any language,
	// ignoring case.
	Query string
	// AfterID pages newest first: the page starts below this id.
	AfterID int64
	// Limit caps the page: DefaultListLimit when 0, at most MaxListLimit.
	Limit int
}

// Page sizes of List.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// Statuses lists every status a release can have, in life-cycle order.
func Statuses() []string {
	return []string{StatusDraft, StatusEmbargoed, StatusPublished, StatusRecalled}
}

// listStatuses are the statuses a list filters by: a draft's clearance
// counts as one.
func listStatuses() []string {
	return []string{StatusDraft, ClearanceSubmitted, ClearanceCleared, ClearanceReturned, StatusEmbargoed, StatusPublished, StatusRecalled}
}

// List returns a page of releases, newest first, and the AfterID of the
// next page (0 after the last). A bad filter is an EINVALID error naming
// each parameter.
func List(ctx context.Context, q sqlx.QueryerContext, f ListFilter) (page []Summary, next int64, err error) {
	var bad []string
	if f.Status != "" && !slices.Contains(listStatuses(), f.Status) {
		bad = append(bad, fmt.Sprintf("status: %q is not a release status (%s)", f.Status, strings.Join(listStatuses(), ", ")))
	}
	switch {
	case f.Limit < 0:
		bad = append(bad, "limit: must not be negative")
	case f.Limit > MaxListLimit:
		bad = append(bad, fmt.Sprintf("limit: %d is above the maximum of %d", f.Limit, MaxListLimit))
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	}
	if f.AfterID < 0 {
		bad = append(bad, "after: must not be negative")
	}
	if err := communique.Invalid("invalid query", bad); err != nil {
		return nil, 0, err
	}
	pattern := ""
	if s := strings.TrimSpace(f.Query); s != "" {
		pattern = "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
	}
	page = []Summary{}
	// The page is chosen first, so deliveries are counted for its
	// releases only.
	if err := sqlx.SelectContext(ctx, q, &page, `
		WITH p AS (
			SELECT r.* FROM releases r
			WHERE ($1 = '' OR r.status = $1 OR (r.status = 'draft' AND r.clearance = $1))
			  AND ($2 = 0 OR r.id < $2)
			  AND ($3 = '' OR r.slug ILIKE $3 ESCAPE '\'
			       OR EXISTS (SELECT 1 FROM release_translations t
			                  WHERE t.release_id = r.id AND t.title ILIKE $3 ESCAPE '\'))
			ORDER BY r.id DESC LIMIT $4)
		SELECT p.id, p.slug, p.status, p.clearance, coalesce(t.title, '') AS title, p.original_language,
			ARRAY(SELECT language FROM release_translations WHERE release_id = p.id
			      ORDER BY language <> p.original_language, language) AS languages,
			p.embargo_until, p.created_at, p.published_at,
			coalesce(c.sent, 0) AS sent, coalesce(c.total, 0) AS total
		FROM p
		LEFT JOIN release_translations t ON t.release_id = p.id AND t.language = p.original_language
		LEFT JOIN LATERAL (
			SELECT count(*) FILTER (WHERE d.status = 'sent') AS sent,
				count(*) FILTER (WHERE d.status NOT IN ('cancelled', 'suppressed')) AS total
			FROM dispatches s JOIN deliveries d ON d.dispatch_id = s.id
			WHERE s.release_id = p.id AND s.variant IN ('embargoed', 'public')) c ON true
		ORDER BY p.id DESC`, f.Status, f.AfterID, pattern, f.Limit+1); err != nil {
		return nil, 0, fmt.Errorf("list releases: %w", err)
	}
	if len(page) > f.Limit {
		page = page[:f.Limit]
		next = page[len(page)-1].ID
	}
	return page, next, nil
}
