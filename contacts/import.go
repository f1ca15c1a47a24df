package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// ImportOptions tunes Import.
type ImportOptions struct {
	// SkipInvalid writes the good rows and reports the bad ones; without it
	// one bad row means nothing is written.
	SkipInvalid bool
	// Source is recorded as the consent source of new contacts; "import"
	// when empty.
	Source string
}

// RowError is a rejected row.
type RowError struct {
	Line   int    `json:"line"`
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

func (e RowError) String() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ImportResult counts what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	// Skipped counts the rejected rows left out under SkipInvalid.
	Skipped  int        `json:"skipped"`
	Rejected []RowError `json:"rejected"`
}

// Import reads contacts from CSV (see Reader) and stores them in one
// transaction: new addresses become contacts, known ones (compared without
// case) are updated, and each imported contact's subscriptions become the
// file's. An import never reactivates a contact: an existing contact keeps
// its status, and a new one whose address is suppressed gets the status of
// its suppression.
//
// Rows are checked as they are read and streamed with COPY into a staging
// table, so memory does not grow with the file; the contacts are then
// written with a few set-based statements.
//
// Without opts.SkipInvalid a file with any bad row writes nothing and the
// error is an EINVALID *communique.Error whose details read "line N:
// reason", one per rejected row; the result lists them too.
func Import(ctx context.Context, db *sqlx.DB, r io.Reader, opts ImportOptions) (*ImportResult, error) {
	if opts.Source == "" {
		opts.Source = "import"
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import contacts: begin: %w", err)
	}
	defer tx.Rollback()

	// Imports run one at a time: two files naming the same address would
	// otherwise race between clearing and inserting its subscriptions.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('communique.contacts.import'))`); err != nil {
		return nil, fmt.Errorf("import contacts: wait for other imports: %w", err)
	}
	res := &ImportResult{Rejected: []RowError{}}
	known, err := taxonomy.LoadChecker(ctx, tx)
	if err != nil {
		return nil, err
	}
	rd := NewReader(r, known)
	if err := stage(ctx, tx, rd, res); err != nil {
		if rd.headerProblem != nil {
			res.Rejected = append(res.Rejected, *rd.headerProblem)
			return res, err
		}
		return nil, err
	}
	if err := rejectDuplicates(ctx, tx, res, opts.SkipInvalid); err != nil {
		return nil, err
	}
	if len(res.Rejected) > 0 && !opts.SkipInvalid {
		details := make([]string, len(res.Rejected))
		for i, e := range res.Rejected {
			details[i] = e.String()
		}
		msg := fmt.Sprintf("%d rows rejected; nothing was imported", len(res.Rejected))
		if len(res.Rejected) == 1 {
			msg = "1 row rejected; nothing was imported"
		}
		return res, &communique.Error{Code: communique.EINVALID, Message: msg, Details: details}
	}
	res.Skipped = len(res.Rejected)
	if err := upsert(ctx, tx, opts.Source, res); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("import contacts: commit: %w", err)
	}
	return res, nil
}

// stagingTable holds the checked rows of one import; it lives as long as
// the transaction.
const stagingTable = `
	CREATE TEMP TABLE contact_import (
		line         int NOT NULL,
		email        text NOT NULL,
		kind         text NOT NULL,
		name         text NOT NULL,
		organisation text NOT NULL,
		country      text,
		languages    text[] NOT NULL,
		timezone     text NOT NULL,
		verified     boolean NOT NULL,
		phone        text NOT NULL,
		title        text NOT NULL,
		regions      text[] NOT NULL,
		countries    text[] NOT NULL,
		topics       text[] NOT NULL
	) ON COMMIT DROP`

// stage copies the good rows of rd into the staging table and records the
// bad ones in res.
func stage(ctx context.Context, tx *sqlx.Tx, rd *Reader, res *ImportResult) error {
	// With these the sorts and hashes over the staged rows stay in memory,
	// and the planner, which has no statistics on the staging table and
	// overestimates the cost, does not spend half a second compiling the
	// statements. They last until the transaction ends.
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`); err != nil {
		return fmt.Errorf("import contacts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, stagingTable); err != nil {
		return fmt.Errorf("import contacts: create staging table: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `COPY contact_import (line, email, kind, name, organisation, country,
		languages, timezone, verified, phone, title, regions, countries, topics) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("import contacts: start copy: %w", err)
	}
	defer stmt.Close()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(rec.Problems) > 0 {
			res.Rejected = append(res.Rejected, RowError{Line: rec.Line, Email: rec.Contact.Email,
				Reason: strings.Join(rec.Problems, "; ")})
			continue
		}
		c := &rec.Contact
		var country any // NULL, not "", for no country
		if c.Country != "" {
			country = c.Country
		}
		if _, err := stmt.ExecContext(ctx, rec.Line, c.Email, c.Kind, c.Name, c.Organisation, country,
			[]string(c.Languages), c.Timezone, c.Verified, c.Phone, c.Title,
			[]string(c.Regions), []string(c.Countries), []string(c.Topics)); err != nil {
			return fmt.Errorf("import contacts: copy line %d: %w", rec.Line, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("import contacts: finish copy: %w", err)
	}
	return nil
}

// rejectDuplicates reports every row whose address (compared as the
// unique index does, with lower()) appeared on an earlier row, and drops
// those rows from the staging table when skipping.
func rejectDuplicates(ctx context.Context, tx *sqlx.Tx, res *ImportResult, skip bool) error {
	var dups []struct {
		Line  int    `db:"line"`
		Email string `db:"email"`
		First int    `db:"first"`
	}
	err := sqlx.SelectContext(ctx, tx, &dups, `
		SELECT line, email, first FROM (
			SELECT line, email, min(line) OVER (PARTITION BY lower(email)) AS first FROM contact_import
		) s WHERE line <> first ORDER BY line`)
	if err != nil {
		return fmt.Errorf("import contacts: find duplicates: %w", err)
	}
	if len(dups) == 0 {
		return nil
	}
	lines := make([]int64, len(dups))
	for i, d := range dups {
		lines[i] = int64(d.Line)
		res.Rejected = append(res.Rejected, RowError{Line: d.Line, Email: d.Email,
			Reason: fmt.Sprintf("email %q is a duplicate of line %d (addresses ignore case)", d.Email, d.First)})
	}
	slices.SortStableFunc(res.Rejected, func(a, b RowError) int { return a.Line - b.Line })
	if !skip {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM contact_import WHERE line = ANY ($1)`, pq.Array(lines)); err != nil {
		return fmt.Errorf("import contacts: drop duplicates: %w", err)
	}
	return nil
}

// upsert writes the staged rows to contacts and subscriptions.
func upsert(ctx context.Context, tx *sqlx.Tx, source string, res *ImportResult) error {
	// Subscriptions are replaced: clear those of the contacts that exist,
	// then insert the file's with the ids the upsert returns.
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM subscriptions sub
		USING contact_import s JOIN contacts c ON lower(c.email) = lower(s.email)
		WHERE sub.contact_id = c.id`); err != nil {
		return fmt.Errorf("import contacts: clear subscriptions: %w", err)
	}
	// xmax is 0 only on a row this statement inserted, which tells new
	// contacts from updated ones without a second look-up. The foreign keys
	// of the new subscriptions are checked at the end of the statement, when
	// the contacts they point to exist. "joined" is materialized so that the
	// rows are matched to their ids before the lists are unnested; the
	// planner, misjudging the unnest, otherwise sorts every subscription.
	err := tx.QueryRowContext(ctx, `
		WITH up AS (
			INSERT INTO contacts AS c (email, kind, name, organisation, country, languages, timezone,
				verified, status, phone, title, consent_at, consent_source)
			SELECT s.email, s.kind, s.name, s.organisation, s.country, s.languages, s.timezone,
				s.verified,
				CASE WHEN sp.email IS NULL THEN 'active'
				     WHEN sp.reason IN ('bounced', 'blocked') THEN sp.reason
				     ELSE 'unsubscribed' -- unsubscribed or complained
				END,
				s.phone, s.title, now(), $1
			FROM contact_import s
			LEFT JOIN suppressions sp ON sp.email = lower(s.email)
			ORDER BY s.line
			ON CONFLICT ((lower(email))) DO UPDATE SET
				email = EXCLUDED.email, kind = EXCLUDED.kind, name = EXCLUDED.name,
				organisation = EXCLUDED.organisation, country = EXCLUDED.country,
				languages = EXCLUDED.languages, timezone = EXCLUDED.timezone,
				verified = EXCLUDED.verified, phone = EXCLUDED.phone, title = EXCLUDED.title,
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
	return nil
}
