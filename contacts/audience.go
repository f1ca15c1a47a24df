package contacts

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// matchingRegionsSQL selects the slugs of the regions whose subscribers a
// release reaches (SPEC section 4): a region the release names; a region
// holding every country of a region the release names (so a subscription
// to Africa matches a release about Western Africa, and custom regions nest
// the same way); a region holding one of the release's countries.
// It expects a CTE "rel" with the release's regions and countries.
const matchingRegionsSQL = `
	SELECT r.slug FROM regions r, rel
	WHERE r.slug = ANY (rel.regions)
	   OR EXISTS (SELECT 1 FROM region_countries rc
	              WHERE rc.region_slug = r.slug AND rc.country = ANY (rel.countries))
	   OR EXISTS (SELECT 1 FROM unnest(rel.regions) AS y(slug)
	              WHERE EXISTS (SELECT 1 FROM region_countries yc WHERE yc.region_slug = y.slug)
	                AND NOT EXISTS (
	                    SELECT 1 FROM region_countries yc
	                    WHERE yc.region_slug = y.slug
	                      AND NOT EXISTS (SELECT 1 FROM region_countries xc
	                                      WHERE xc.region_slug = r.slug AND xc.country = yc.country)))`

// languageSQL picks a contact's language: the first of their ordered
// preferences the release has (exactly, or by base language), else the
// release's original language ($3). $2 holds the release's languages.
const languageSQL = `
	coalesce((
		SELECT t.lang FROM unnest(c.languages) WITH ORDINALITY AS p(lang, ord)
		JOIN unnest($2::text[]) AS t(lang)
		  ON t.lang = p.lang OR split_part(t.lang, '-', 1) = split_part(p.lang, '-', 1)
		ORDER BY p.ord, (t.lang = p.lang) DESC
		LIMIT 1), $3)`

// InsertPublicAudience records one delivery per active contact whose
// subscriptions match the release of dispatch dispatchID, in the language
// each should read, in a single statement. Suppressed addresses get a
// delivery in status 'suppressed' so reports account for them; contacts
// that are pending, unsubscribed, bounced or blocked get none. Rows that
// exist already are left alone, so running it twice adds nothing.
// It returns the number of deliveries added.
func InsertPublicAudience(ctx context.Context, tx sqlx.ExecerContext, dispatchID, releaseID int64, languages []string, original string) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		WITH rel AS (SELECT regions, countries, topics FROM releases WHERE id = $4),
		matching_regions AS (`+matchingRegionsSQL+`),
		audience AS (
			SELECT DISTINCT s.contact_id FROM subscriptions s, rel
			WHERE (s.kind = 'region' AND s.value IN (SELECT slug FROM matching_regions))
			   OR (s.kind = 'country' AND s.value = ANY (rel.countries))
			   OR (s.kind = 'topic' AND s.value = ANY (rel.topics))
		)
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT $1, c.id, c.email, `+languageSQL+`,
			CASE WHEN sp.email IS NULL THEN 'queued' ELSE 'suppressed' END
		FROM audience a
		JOIN contacts c ON c.id = a.contact_id
		LEFT JOIN suppressions sp ON sp.email = lower(c.email)
		WHERE c.status = 'active'
		ORDER BY c.id
		ON CONFLICT (dispatch_id, contact_id) DO NOTHING`,
		dispatchID, pq.Array(languages), original, releaseID)
	if err != nil {
		return 0, fmt.Errorf("resolve audience of release %d: %w", releaseID, err)
	}
	return res.RowsAffected()
}
