package contacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// selectContacts reads whole contacts, subscriptions included. Callers add
// WHERE, ORDER BY and LIMIT.
const selectContacts = `
	SELECT c.id, c.email, c.kind, c.name, c.organisation, coalesce(c.country, '') AS country,
		c.languages, c.timezone, c.verified, c.status, c.phone, c.title,
		coalesce(sub.regions, '{}') AS regions, coalesce(sub.countries, '{}') AS countries,
		coalesce(sub.topics, '{}') AS topics,
		c.consent_at, c.consent_source, c.consent_ip, c.confirmed_at, c.confirmed_ip,
		c.created_at, c.updated_at
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
