package taxonomy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/postgres"
)

// Seed stores the built-in regions and their countries, updating what an
// earlier version stored, in one transaction. Running it again changes
// nothing; custom regions and topics are left alone.
func Seed(ctx context.Context, db *sqlx.DB) error {
	regions := builtinRegions()
	doc, err := json.Marshal(regions)
	if err != nil {
		return fmt.Errorf("seed regions: %w", err)
	}
	var slugs, countries []string
	for _, r := range regions {
		for _, c := range r.Countries {
			slugs = append(slugs, r.Slug)
			countries = append(countries, c)
		}
	}
	return postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		// Foreign keys are checked at the end of the statement, so parents
		// and children may arrive in one INSERT.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO regions (slug, parent_slug, m49, names, builtin)
			SELECT slug, nullif(parent, ''), m49, names, true
			FROM jsonb_to_recordset($1::jsonb) AS r(slug text, parent text, m49 text, names jsonb)
			ON CONFLICT (slug) DO UPDATE SET
				parent_slug = EXCLUDED.parent_slug, m49 = EXCLUDED.m49,
				names = EXCLUDED.names, builtin = true
			WHERE (regions.parent_slug, regions.m49, regions.names, regions.builtin)
				IS DISTINCT FROM (EXCLUDED.parent_slug, EXCLUDED.m49, EXCLUDED.names, true)`,
			string(doc)); err != nil {
			return fmt.Errorf("seed regions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM region_countries rc USING regions r
			WHERE rc.region_slug = r.slug AND r.builtin
			  AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS s(slug, country)
			                  WHERE s.slug = rc.region_slug AND s.country = rc.country)`,
			pq.Array(slugs), pq.Array(countries)); err != nil {
			return fmt.Errorf("seed region countries: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO region_countries (region_slug, country)
			SELECT * FROM unnest($1::text[], $2::text[])
			ON CONFLICT DO NOTHING`,
			pq.Array(slugs), pq.Array(countries)); err != nil {
			return fmt.Errorf("seed region countries: %w", err)
		}
		return nil
	})
}
