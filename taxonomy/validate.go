package taxonomy

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
)

// Checker answers whether region and topic slugs exist from sets loaded
// once, for callers that check many of them (a contacts import) and should
// not query per row. A nil *Checker knows no region and no topic.
type Checker struct {
	regions map[string]bool
	topics  map[string]bool
}

// LoadChecker reads every region and topic slug.
func LoadChecker(ctx context.Context, q sqlx.QueryerContext) (*Checker, error) {
	c := &Checker{regions: map[string]bool{}, topics: map[string]bool{}}
	for _, s := range []struct {
		query string
		set   map[string]bool
	}{
		{`SELECT slug FROM regions`, c.regions},
		{`SELECT slug FROM topics`, c.topics},
	} {
		var slugs []string
		if err := sqlx.SelectContext(ctx, q, &slugs, s.query); err != nil {
			return nil, fmt.Errorf("load taxonomy: %w", err)
		}
		for _, slug := range slugs {
			s.set[slug] = true
		}
	}
	return c, nil
}

// Region reports whether a region with this slug exists.
func (c *Checker) Region(slug string) bool { return c != nil && c.regions[slug] }

// Topic reports whether a topic with this slug exists.
func (c *Checker) Topic(slug string) bool { return c != nil && c.topics[slug] }

// Problems returns one line per unknown region, country or topic, in the
// order given.
func (c *Checker) Problems(regions, countries, topics []string) []string {
	var p []string
	for _, s := range regions {
		if !c.Region(s) {
			p = append(p, unknown("region", s))
		}
	}
	p = append(p, countryProblems(countries)...)
	for _, s := range topics {
		if !c.Topic(s) {
			p = append(p, unknown("topic", s))
		}
	}
	return p
}

// Validate checks that every region and topic slug exists and every country
// is an ISO 3166-1 alpha-2 code. It returns an EINVALID *communique.Error
// naming each unknown one, or nil.
func Validate(ctx context.Context, q sqlx.QueryerContext, regions, countries, topics []string) error {
	var p []string
	missing, err := missingSlugs(ctx, q, "regions", regions)
	if err != nil {
		return err
	}
	for _, s := range missing {
		p = append(p, unknown("region", s))
	}
	p = append(p, countryProblems(countries)...)
	if missing, err = missingSlugs(ctx, q, "topics", topics); err != nil {
		return err
	}
	for _, s := range missing {
		p = append(p, unknown("topic", s))
	}
	return communique.Invalid("unknown region, country or topic", p)
}

// missingSlugs returns, in the order given and once each, the slugs absent
// from table (regions or topics), with one query.
func missingSlugs(ctx context.Context, q sqlx.QueryerContext, table string, slugs []string) ([]string, error) {
	if len(slugs) == 0 {
		return nil, nil
	}
	var missing []string
	err := sqlx.SelectContext(ctx, q, &missing, `
		SELECT s.slug FROM unnest($1::text[]) WITH ORDINALITY AS s(slug, n)
		WHERE NOT EXISTS (SELECT 1 FROM `+table+` t WHERE t.slug = s.slug)
		GROUP BY s.slug ORDER BY min(s.n)`, pq.Array(slugs))
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", table, err)
	}
	return missing, nil
}

func countryProblems(countries []string) []string {
	var p []string
	for _, c := range countries {
		if !IsCountry(c) {
			p = append(p, unknown("country", c))
		}
	}
	return p
}

func unknown(kind, value string) string {
	return fmt.Sprintf("%s %q is unknown", kind, value)
}
