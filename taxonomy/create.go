package taxonomy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// CreateRegion stores a custom region: a slug, names per language and a
// set of countries, optionally inside an existing parent region. A slug
// that is taken, built-in ones included, is an ECONFLICT error.
func CreateRegion(ctx context.Context, db *sqlx.DB, r Region) error {
	var p []string
	if s := checkSlug(r.Slug); s != "" {
		p = append(p, s)
	}
	names, np := normalizeNames(r.Names)
	p = append(p, np...)
	if len(r.Countries) == 0 {
		p = append(p, "countries: a region needs at least one country")
	}
	p = append(p, countryProblems(r.Countries)...)
	if r.Parent != "" {
		if s := checkSlug(r.Parent); s != "" {
			p = append(p, "parent "+s)
		}
	}
	if err := communique.Invalid("invalid region", p); err != nil {
		return err
	}
	countries := slices.Clone(r.Countries)
	slices.Sort(countries)
	countries = slices.Compact(countries)

	return postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO regions (slug, parent_slug, names, builtin) VALUES ($1, nullif($2, ''), $3, false)`,
			r.Slug, r.Parent, names)
		switch {
		case postgres.IsUniqueViolation(err, "regions_pkey"):
			return &communique.Error{Code: communique.ECONFLICT, Message: "a region with this slug exists",
				Details: []string{fmt.Sprintf("slug: %q is taken", r.Slug)}}
		case isForeignKeyViolation(err):
			return communique.Invalid("invalid region", []string{unknown("parent region", r.Parent)})
		case err != nil:
			return fmt.Errorf("insert region %s: %w", r.Slug, err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO region_countries (region_slug, country) SELECT $1, unnest($2::text[])`,
			r.Slug, pq.Array(countries)); err != nil {
			return fmt.Errorf("insert countries of region %s: %w", r.Slug, err)
		}
		return nil
	})
}

// CreateTopic stores a topic; a slug that is taken is an ECONFLICT error.
func CreateTopic(ctx context.Context, db *sqlx.DB, t Topic) error {
	var p []string
	if s := checkSlug(t.Slug); s != "" {
		p = append(p, s)
	}
	names, np := normalizeNames(t.Names)
	p = append(p, np...)
	if err := communique.Invalid("invalid topic", p); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO topics (slug, names) VALUES ($1, $2)`, t.Slug, names)
	if postgres.IsUniqueViolation(err, "topics_pkey") {
		return &communique.Error{Code: communique.ECONFLICT, Message: "a topic with this slug exists",
			Details: []string{fmt.Sprintf("slug: %q is taken", t.Slug)}}
	}
	if err != nil {
		return fmt.Errorf("insert topic %s: %w", t.Slug, err)
	}
	return nil
}

// Regions returns every region with its countries, built-in ones first in
// the order of the M49 table (parents before children), then custom ones
// by slug.
func Regions(ctx context.Context, q sqlx.QueryerContext) ([]Region, error) {
	rows, err := q.QueryxContext(ctx, `
		SELECT r.slug, coalesce(r.parent_slug, '') AS parent_slug, coalesce(r.m49, '') AS m49,
			r.names, r.builtin,
			coalesce((SELECT array_agg(rc.country::text ORDER BY rc.country)
			          FROM region_countries rc WHERE rc.region_slug = r.slug), '{}') AS countries
		FROM regions r
		ORDER BY r.slug`)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		if err := rows.Scan(&r.Slug, &r.Parent, &r.M49, &r.Names, &r.Builtin, pq.Array(&r.Countries)); err != nil {
			return nil, fmt.Errorf("list regions: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	order := make(map[string]int, len(m49Regions))
	for i, m := range m49Regions {
		order[m.slug] = i
	}
	rank := func(r Region) int {
		if i, ok := order[r.Slug]; ok && r.Builtin {
			return i
		}
		return len(order) // custom regions keep the query's slug order
	}
	slices.SortStableFunc(out, func(a, b Region) int { return rank(a) - rank(b) })
	return out, nil
}

// Topics returns every topic by slug.
func Topics(ctx context.Context, q sqlx.QueryerContext) ([]Topic, error) {
	var out []Topic
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT slug, names FROM topics ORDER BY slug`); err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return out, nil
}

func isForeignKeyViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23503"
}

// GetRegion returns the region with this slug and its countries, or an
// ENOTFOUND error.
func GetRegion(ctx context.Context, q sqlx.QueryerContext, slug string) (*Region, error) {
	regions, err := Regions(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range regions {
		if regions[i].Slug == slug {
			return &regions[i], nil
		}
	}
	return nil, communique.Errorf(communique.ENOTFOUND, "region %q not found", slug)
}

// GetTopic returns the topic with this slug, or an ENOTFOUND error.
func GetTopic(ctx context.Context, q sqlx.QueryerContext, slug string) (*Topic, error) {
	var t Topic
	err := sqlx.GetContext(ctx, q, &t, `SELECT slug, names FROM topics WHERE slug = $1`, slug)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "topic %q not found", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("get topic %s: %w", slug, err)
	}
	return &t, nil
}
