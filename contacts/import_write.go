package contacts

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// rank orders the statuses and suppression reasons that stop mail, the
// way Suppress does: blocking outranks a bounce, which outranks an
// unsubscription or a complaint; the others rank 0. An import only ever
// moves a contact up this order.
func rank(expr string) string {
	return "(CASE " + expr + " WHEN 'blocked' THEN 3 WHEN 'bounced' THEN 2 WHEN 'unsubscribed' THEN 1 WHEN 'complained' THEN 1 ELSE 0 END)"
}

// upsert writes the staged rows to contacts, subscriptions and the
// suppression list.
func upsert(ctx context.Context, tx *sqlx.Tx, source string, res *ImportResult) error {
	// Subscriptions are replaced: clear those of the contacts that exist,
	// then insert the file's with the ids the upsert returns.
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM subscriptions sub
		USING contact_import s JOIN contacts c ON lower(c.email) = lower(s.email)
		WHERE sub.contact_id = c.id`); err != nil {
		return fmt.Errorf("import contacts: clear subscriptions: %w", err)
	}
	// A new contact takes the file's status, or its suppression's when that
	// ranks higher; a known one moves only up the order (see rank). xmax
	// is 0 only on a row this statement inserted, which tells new contacts
	// from updated ones without a second look-up. "joined" is materialized
	// so that the rows are matched to their ids before the lists are
	// unnested; the planner, misjudging the unnest, otherwise sorts every
	// subscription. No foreign key checks the subscriptions' contacts
	// (migration 0024): their ids come from the same statement.
	err := tx.QueryRowContext(ctx, `
		WITH up AS (
			INSERT INTO contacts AS c (email, kind, name, organisation, country, languages, timezone,
				verified, status, phone, title, consent_at, consent_source)
			SELECT s.email, s.kind, s.name, s.organisation, s.country, s.languages, s.timezone,
				s.verified,
				CASE WHEN `+rank("x.sup")+` > `+rank("s.status")+` THEN x.sup
				     ELSE coalesce(nullif(s.status, ''), 'active') END,
				s.phone, s.title, coalesce(s.consent_at, now()), coalesce(nullif(s.consent_source, ''), $1)
			FROM contact_import s
			LEFT JOIN suppressions sp ON sp.email = lower(s.email)
			CROSS JOIN LATERAL (SELECT CASE WHEN sp.reason IN ('bounced', 'blocked') THEN sp.reason
			                                WHEN sp.reason IS NOT NULL THEN 'unsubscribed' END) AS x(sup)
			ORDER BY s.line
			ON CONFLICT ((lower(email))) DO UPDATE SET
				email = EXCLUDED.email, kind = EXCLUDED.kind, name = EXCLUDED.name,
				organisation = EXCLUDED.organisation, country = EXCLUDED.country,
				languages = EXCLUDED.languages, timezone = EXCLUDED.timezone,
				verified = EXCLUDED.verified, phone = EXCLUDED.phone, title = EXCLUDED.title,
				status = CASE WHEN `+rank("EXCLUDED.status")+` > `+rank("c.status")+` THEN EXCLUDED.status
				              ELSE c.status END,
				consent_at = coalesce(c.consent_at, EXCLUDED.consent_at),
				consent_source = CASE WHEN c.consent_at IS NULL THEN EXCLUDED.consent_source
				                      ELSE c.consent_source END,
				updated_at = now()
			RETURNING c.id, lower(c.email) AS key, (xmax = 0) AS created
		),
		joined AS MATERIALIZED (
			SELECT up.id, s.regions, s.countries, s.topics
			FROM up JOIN contact_import s ON lower(s.email) = up.key
		),
		subs AS (
			INSERT INTO subscriptions (contact_id, kind, value)
			SELECT s.id, x.kind, x.value
			FROM joined s
			CROSS JOIN LATERAL (
				SELECT 'region', unnest(s.regions)
				UNION ALL SELECT 'country', unnest(s.countries)
				UNION ALL SELECT 'topic', unnest(s.topics)
			) AS x(kind, value)
		)
		SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up`,
		source).Scan(&res.Created, &res.Updated)
	if err != nil {
		return fmt.Errorf("import contacts: write contacts: %w", err)
	}
	// A row that says a contact unsubscribed, bounced or is blocked
	// suppresses its address, as setting that status through the API does.
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO suppressions AS sp (email, reason, detail)
		SELECT lower(email), status, 'imported with status ' || status FROM contact_import
		WHERE status IN ('unsubscribed', 'bounced', 'blocked')
		ON CONFLICT (email) DO UPDATE SET reason = EXCLUDED.reason, detail = EXCLUDED.detail
		WHERE `+rank("EXCLUDED.reason")+` > `+rank("sp.reason")); err != nil {
		return fmt.Errorf("import contacts: suppress addresses: %w", err)
	}
	return nil
}
