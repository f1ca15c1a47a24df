package contacts

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/postgres"
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

// subscribedSQL are the CTEs that select, among the contacts with ids in
// [$6, $7], those with a subscription matching release $4 — a region
// (matchingRegionsSQL), one of the release's countries, or one of its
// topics — as "subscribed", whatever their status.
const subscribedSQL = `
	rel AS (SELECT regions, countries, topics, embargo_missions, embargo_verified FROM releases WHERE id = $4),
	matching_regions AS (` + matchingRegionsSQL + `),
	subscribed AS (
		SELECT DISTINCT s.contact_id FROM subscriptions s, rel
		WHERE s.contact_id BETWEEN $6 AND $7
		  AND ((s.kind = 'region' AND s.value IN (SELECT slug FROM matching_regions))
		    OR (s.kind = 'country' AND s.value = ANY (rel.countries))
		    OR (s.kind = 'topic' AND s.value = ANY (rel.topics)))
	)`

// insertDeliveriesSQL records a delivery for dispatch $1 per active
// contact of the CTE "audience" (column contact_id), in the language the
// language map ($2 keys, $3 languages) gives its preference list, or $5.
// Languages never decide whether a contact gets a release, only which
// translation. Suppressed addresses get a delivery in status
// 'suppressed', which is never sent, so reports account for them.
// Existing rows are left alone.
const insertDeliveriesSQL = insertNewDeliveriesSQL + `
	ON CONFLICT (dispatch_id, contact_id) DO NOTHING`

// insertNewDeliveriesSQL is insertDeliveriesSQL for contacts the dispatch
// has no delivery for: a row that exists already is a unique violation.
// Without ON CONFLICT, PostgreSQL inserts each row at once, where it
// otherwise looks for a conflict first and confirms the row after: for
// 50,000 deliveries, the statement took 1.03 s instead of 1.19 and wrote
// 363 bytes of WAL per row instead of 410.
//
// The range's bounds, which the audience CTE applies to subscriptions, are
// repeated on contacts: PostgreSQL does not carry them through the join,
// and read the whole contacts table for each range of 25,000 (a sequential
// scan of all 100,000 in a table of that size).
const insertNewDeliveriesSQL = `
	INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
	SELECT $1, c.id, c.email, coalesce(lm.lang, $5),
		CASE WHEN sp.email IS NULL THEN 'queued' ELSE 'suppressed' END
	FROM audience a
	JOIN contacts c ON c.id = a.contact_id
	LEFT JOIN unnest($2::text[], $3::text[]) AS lm(key, lang) ON lm.key = array_to_string(c.languages, ',')
	LEFT JOIN suppressions sp ON sp.email = lower(c.email)
	WHERE c.status = 'active' AND c.id BETWEEN $6 AND $7
	ORDER BY c.id`

// publicAudienceSQL records the public audience of release $4 for dispatch
// $1 among the contacts with ids in [$6, $7]: every active contact with a
// matching subscription (SPEC section 4).
const publicAudienceSQL = `WITH ` + subscribedSQL + `,
	audience AS (SELECT contact_id FROM subscribed)` + insertDeliveriesSQL

// newPublicAudienceSQL is publicAudienceSQL for a range of contacts the
// dispatch has no delivery for yet (see insertAudienceRange).
const newPublicAudienceSQL = `WITH ` + subscribedSQL + `,
	audience AS (SELECT contact_id FROM subscribed)` + insertNewDeliveriesSQL

// holdContactsSQL keeps Delete from removing, until the transaction ends,
// a contact the transaction draws a delivery for or writes subscriptions
// of: with no foreign key from deliveries or subscriptions to contacts
// (migrations 0022 and 0024), this lock is what keeps them from naming a
// contact that is gone. Any number of transactions hold it at once; a
// deletion waits for them, and they for it. Taken before the INSERT,
// whose snapshot then sees any deletion that went first.
const holdContactsSQL = `SELECT pg_advisory_xact_lock_shared(hashtext('communique.contacts.delete'))`

// deletionLockSQL is Delete's side of holdContactsSQL: the same lock,
// held alone.
const deletionLockSQL = `SELECT pg_advisory_xact_lock(hashtext('communique.contacts.delete'))`

// insertAudience runs an audience-recording statement in tx under the
// lock that keeps its contacts from being deleted meanwhile.
func insertAudience(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (int64, error) {
	if _, err := tx.ExecContext(ctx, holdContactsSQL); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// insertAudienceRange records dispatch dispatchID's audience among the
// contacts with ids in [fromID, toID] in tx, as insertAudience does with
// query, or with fresh when the dispatch has no delivery among them yet,
// as when a planner records a release chunk by chunk. Should another
// transaction record some of them meanwhile (a planner taking over the
// dispatch), fresh fails on the unique index and query, which leaves
// existing rows alone, runs instead.
func insertAudienceRange(ctx context.Context, tx *sqlx.Tx, query, fresh string, dispatchID, fromID, toID int64, args ...any) (int64, error) {
	var recorded bool
	if err := tx.GetContext(ctx, &recorded, `
		SELECT EXISTS (SELECT 1 FROM deliveries WHERE dispatch_id = $1 AND contact_id BETWEEN $2 AND $3)`,
		dispatchID, fromID, toID); err != nil {
		return 0, err
	}
	if !recorded {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT new_deliveries`); err != nil {
			return 0, err
		}
		n, err := insertAudience(ctx, tx, fresh, args...)
		if !postgres.IsUniqueViolation(err, "deliveries_dispatch_id_contact_id_key") {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT new_deliveries`); err != nil {
			return 0, err
		}
	}
	return insertAudience(ctx, tx, query, args...)
}

// LanguageChooser picks the translation for an ordered list of language
// preferences.
type LanguageChooser func(prefs []string) string

// InsertPublicAudience records one delivery per active contact whose
// subscriptions match the release of dispatch dispatchID, in the language
// choose picks for each, in a single INSERT … SELECT. choose runs once per
// distinct preference list, not per contact: an audience of millions
// shares a few hundred lists. Suppressed addresses get a delivery in
// status 'suppressed' so reports account for them; contacts that are
// pending, unsubscribed, bounced or blocked get none. Rows that exist
// already are left alone, so running it twice adds nothing. It returns the
// number of deliveries added.
func InsertPublicAudience(ctx context.Context, tx *sqlx.Tx, dispatchID, releaseID int64, choose LanguageChooser) (int64, error) {
	lm, err := NewLanguageMap(ctx, tx, choose)
	if err != nil {
		return 0, err
	}
	// A preference list unknown to the map (none, in one transaction) gets
	// what choose gives a contact without preferences.
	return InsertPublicAudienceRange(ctx, tx, dispatchID, releaseID, lm, choose(nil), 1, math.MaxInt64)
}

// languageMap maps each distinct preference list of active contacts (joined
// with commas, which no language tag contains) to its chosen language.
func languageMap(ctx context.Context, q sqlx.QueryerContext, choose LanguageChooser, fromID, toID int64) (keys, langs []string, err error) {
	var lists []pq.StringArray
	if err := sqlx.SelectContext(ctx, q, &lists, `
		SELECT DISTINCT languages FROM contacts WHERE status = 'active' AND id BETWEEN $1 AND $2`, fromID, toID); err != nil {
		return nil, nil, fmt.Errorf("distinct language preferences: %w", err)
	}
	for _, l := range lists {
		keys = append(keys, strings.Join(l, ","))
		langs = append(langs, choose(l))
	}
	return keys, langs, nil
}
