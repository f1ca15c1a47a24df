package contacts

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
)

// selectContacts reads whole contacts, subscriptions included. Callers add
// WHERE, ORDER BY and LIMIT.
const selectContacts = `
	SELECT c.id, c.email, c.kind, c.name, c.organisation, coalesce(c.country, '') AS country,
		c.languages, c.timezone, c.verified, c.status, c.phone, c.title,
		coalesce(sub.regions, '{}') AS regions, coalesce(sub.countries, '{}') AS countries,
		coalesce(sub.topics, '{}') AS topics,
		c.consent_at, c.consent_source, c.consent_ip, c.created_at, c.updated_at
	FROM contacts c
	LEFT JOIN LATERAL (
		SELECT array_agg(s.value ORDER BY s.value) FILTER (WHERE s.kind = 'region') AS regions,
		       array_agg(s.value ORDER BY s.value) FILTER (WHERE s.kind = 'country') AS countries,
		       array_agg(s.value ORDER BY s.value) FILTER (WHERE s.kind = 'topic') AS topics
		FROM subscriptions s WHERE s.contact_id = c.id
	) sub ON true`

// Get returns the contact with this id, or an ENOTFOUND *communique.Error.
func Get(ctx context.Context, q sqlx.QueryerContext, id int64) (*Contact, error) {
	var c Contact
	err := sqlx.GetContext(ctx, q, &c, selectContacts+` WHERE c.id = $1`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "contact %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get contact %d: %w", id, err)
	}
	return &c, nil
}

// GetByEmail returns the contact with this address, compared without case,
// or an ENOTFOUND *communique.Error.
func GetByEmail(ctx context.Context, q sqlx.QueryerContext, email string) (*Contact, error) {
	var c Contact
	err := sqlx.GetContext(ctx, q, &c, selectContacts+` WHERE lower(c.email) = lower($1)`, strings.TrimSpace(email))
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "no contact has the address %s", email)
	}
	if err != nil {
		return nil, fmt.Errorf("get contact by email: %w", err)
	}
	return &c, nil
}

// Filter selects contacts for List; empty fields match everything.
type Filter struct {
	Kind    string
	Country string
	Status  string
	// Limit caps the page: DefaultLimit when 0, at most MaxLimit.
	Limit int
	// AfterID pages by id: the page starts after this contact.
	AfterID int64
}

// Page sizes of List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// List returns a page of contacts in id order. The next page is the one
// after the last id returned.
func List(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]Contact, error) {
	var (
		where    []string
		args     []any
		problems []string
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	switch f.Kind {
	case "":
	case KindJournalist, KindMission, KindPressOfficer:
		add("c.kind = ?", f.Kind)
	default:
		problems = append(problems, fmt.Sprintf("kind %q is not journalist, mission or press_officer", f.Kind))
	}
	if f.Country != "" {
		if country := strings.ToUpper(f.Country); taxonomy.IsCountry(country) {
			add("c.country = ?", country)
		} else {
			problems = append(problems, fmt.Sprintf("country %q is not an ISO 3166-1 alpha-2 code", f.Country))
		}
	}
	switch f.Status {
	case "":
	case StatusPending, StatusActive, StatusUnsubscribed, StatusBounced, StatusBlocked:
		add("c.status = ?", f.Status)
	default:
		problems = append(problems, fmt.Sprintf("status %q is not pending, active, unsubscribed, bounced or blocked", f.Status))
	}
	if f.Limit < 0 || f.AfterID < 0 {
		problems = append(problems, "limit and after must not be negative")
	}
	if err := communique.Invalid("invalid contact filter", problems); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	add("c.id > ?", f.AfterID)
	args = append(args, limit)

	query := selectContacts + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY c.id LIMIT $` + strconv.Itoa(len(args))
	out := []Contact{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// Export writes every contact as CSV with a header, in the columns Import
// reads, streaming rows from the database as it writes them.
func Export(ctx context.Context, db *sqlx.DB, w io.Writer) error {
	rows, err := db.QueryxContext(ctx, selectContacts+` ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	var buf []string
	for rows.Next() {
		var c Contact
		if err := rows.StructScan(&c); err != nil {
			return fmt.Errorf("export contacts: %w", err)
		}
		buf = csvRecord(&c, buf)
		if err := cw.Write(buf); err != nil {
			return fmt.Errorf("export contacts: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export contacts: %w", err)
	}
	return nil
}
