package contacts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// Filter selects contacts for List; empty fields match everything.
type Filter struct {
	Kind    string
	Country string
	Status  string
	// Region and Topic select the contacts subscribed to that region or
	// topic slug (as written, not through region nesting).
	Region string
	Topic  string
	// Query matches a part of the address, name or organisation, ignoring
	// case.
	Query string
	// Limit caps the page: DefaultLimit when 0; more than MaxLimit is
	// an error.
	Limit int
	// AfterID pages by id: the page starts after this contact.
	AfterID int64
}

// Page sizes of List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is one page of contacts in id order.
type Page struct {
	Contacts []Contact `json:"contacts"`
	// Next is the AfterID of the following page, 0 on the last page.
	Next int64 `json:"next,omitempty"`
}

// List returns a page of contacts in id order. The next page is the one
// after the last id returned.
func List(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]Contact, error) {
	p, err := ListPage(ctx, q, f)
	if err != nil {
		return nil, err
	}
	return p.Contacts, nil
}

// ListPage returns a page of contacts in id order and the cursor of the
// next one. It reads one row more than the page holds, so the last page
// says it is the last rather than leading to an empty one. A filter naming
// an unknown kind, country, status, region or topic is an EINVALID error
// naming each.
func ListPage(ctx context.Context, q sqlx.QueryerContext, f Filter) (*Page, error) {
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
	var regions, topics []string
	if f.Region != "" {
		regions = []string{f.Region}
		add("EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id AND s.kind = 'region' AND s.value = ?)", f.Region)
	}
	if f.Topic != "" {
		topics = []string{f.Topic}
		add("EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id AND s.kind = 'topic' AND s.value = ?)", f.Topic)
	}
	if len(regions)+len(topics) > 0 {
		if err := taxonomy.Validate(ctx, q, regions, nil, topics); err != nil {
			if communique.ErrorCode(err) != communique.EINVALID {
				return nil, err
			}
			problems = append(problems, communique.ErrorDetails(err)...)
		}
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		// Every "?" becomes the same parameter.
		add(`(c.email ILIKE ? ESCAPE '\' OR c.name ILIKE ? ESCAPE '\' OR c.organisation ILIKE ? ESCAPE '\')`,
			"%"+escapeLike(s)+"%")
	}
	if f.Limit < 0 || f.AfterID < 0 {
		problems = append(problems, "limit and after must not be negative")
	}
	if f.Limit > MaxLimit {
		problems = append(problems, fmt.Sprintf("limit: %d is more than the maximum, %d", f.Limit, MaxLimit))
	}
	if err := communique.Invalid("invalid contact filter", problems); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	add("c.id > ?", f.AfterID)
	args = append(args, limit+1)

	query := selectContacts + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY c.id LIMIT $` + strconv.Itoa(len(args))
	p := &Page{Contacts: []Contact{}}
	if err := sqlx.SelectContext(ctx, q, &p.Contacts, query, args...); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	if len(p.Contacts) > limit {
		p.Contacts = p.Contacts[:limit]
		p.Next = p.Contacts[limit-1].ID
	}
	return p, nil
}

// escapeLike makes s match itself in a LIKE pattern with '\' as escape.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
