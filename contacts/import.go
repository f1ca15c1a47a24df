package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// ImportOptions tunes Import.
type ImportOptions struct {
	// SkipInvalid writes the good rows and reports the bad ones; without it
	// one bad row means nothing is written.
	SkipInvalid bool
	// Source is recorded as the consent source of new contacts whose row
	// names none; "import" when empty.
	Source string
	// StatementTimeout bounds each statement of the import's transaction,
	// the COPY of the rows included (default 10 minutes), and IdleTimeout
	// the time it may sit idle between them (default 1 minute), so that a
	// stalled import gives its connection back.
	StatementTimeout, IdleTimeout time.Duration
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
	Skipped int `json:"skipped"`
	// Rejected lists the first MaxReported rejected rows by line.
	Rejected []RowError `json:"rejected"`
	// RejectedTotal counts every rejected row, and MoreRejected those
	// that Rejected leaves out, by reason ("bad address": 40000).
	RejectedTotal int            `json:"rejected_total"`
	MoreRejected  map[string]int `json:"more_rejected,omitempty"`
}

// Import reads contacts from CSV (see Reader) and stores them in one
// transaction: new addresses become contacts, known ones (compared without
// case) are updated, and each imported contact's subscriptions become the
// file's.
//
// The status column applies to new contacts (active when empty). For a
// known contact, only unsubscribed, bounced and blocked are applied, and
// only up that order, as a suppression would: an import never makes an
// unsubscribed, bounced or blocked contact active or pending again, nor a
// pending one active. Each row with one of those statuses puts its address
// on the suppression list with the matching reason, and a new address that
// is on the list already gets the status of its suppression. The consent
// columns give a new contact its consent record (the import's Source and
// time when empty); a known contact keeps its own.
//
// Rows are checked as they are read and streamed with COPY into a staging
// table, so memory does not grow with the file; the contacts are then
// written with a few set-based statements. The first MaxReported refused
// rows are reported in full, the others counted by reason.
//
// Without opts.SkipInvalid a file with any bad row writes nothing and the
// error is an EINVALID *communique.Error whose details read "line N:
// reason", one per reported row, then the result's Summary if any; the
// result lists them too.
func Import(ctx context.Context, db *sqlx.DB, r io.Reader, opts ImportOptions) (*ImportResult, error) {
	if opts.Source == "" {
		opts.Source = "import"
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 10 * time.Minute
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = time.Minute
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import contacts: begin: %w", err)
	}
	defer tx.Rollback()

	// These replace, for this transaction only, whatever the pool's
	// connections start with: an import's statements may rightly take
	// minutes, but no longer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL statement_timeout = %d; SET LOCAL idle_in_transaction_session_timeout = %d`,
		opts.StatementTimeout.Milliseconds(), opts.IdleTimeout.Milliseconds())); err != nil {
		return nil, fmt.Errorf("import contacts: set timeouts: %w", err)
	}
	// Imports run one at a time: two files naming the same address would
	// otherwise race between clearing and inserting its subscriptions.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('communique.contacts.import'))`); err != nil {
		return nil, fmt.Errorf("import contacts: wait for other imports: %w", err)
	}
	// Subscriptions have no foreign key to contacts (migration 0024): a
	// deletion waits for the import, or the import for it.
	if _, err := tx.ExecContext(ctx, holdContactsSQL); err != nil {
		return nil, fmt.Errorf("import contacts: wait for a deletion: %w", err)
	}
	res := &ImportResult{}
	known, err := taxonomy.LoadChecker(ctx, tx)
	if err != nil {
		return nil, err
	}
	rd := NewReader(r, known)
	rej := newRejections()
	if err := stage(ctx, tx, rd, rej); err != nil {
		if rd.headerProblem != nil {
			rej.add(*rd.headerProblem, "header")
			rej.fill(res)
			return res, err
		}
		if communique.ErrorCode(err) == communique.EINVALID {
			rej.fill(res)
			return res, err
		}
		return nil, err
	}
	if err := rejectDuplicates(ctx, tx, rej, opts.SkipInvalid); err != nil {
		return nil, err
	}
	rej.fill(res)
	if res.RejectedTotal > 0 && !opts.SkipInvalid {
		details := make([]string, len(res.Rejected), len(res.Rejected)+1)
		for i, e := range res.Rejected {
			details[i] = e.String()
		}
		if s := res.Summary(); s != "" {
			details = append(details, s)
		}
		msg := fmt.Sprintf("%s rows rejected; nothing was imported", thousands(res.RejectedTotal))
		if res.RejectedTotal == 1 {
			msg = "1 row rejected; nothing was imported"
		}
		return res, &communique.Error{Code: communique.EINVALID, Message: msg, Details: details}
	}
	res.Skipped = res.RejectedTotal
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
		line           int NOT NULL,
		email          text NOT NULL,
		kind           text NOT NULL,
		name           text NOT NULL,
		organisation   text NOT NULL,
		country        text,
		languages      text[] NOT NULL,
		timezone       text NOT NULL,
		verified       boolean NOT NULL,
		phone          text NOT NULL,
		title          text NOT NULL,
		regions        text[] NOT NULL,
		countries      text[] NOT NULL,
		topics         text[] NOT NULL,
		status         text NOT NULL,
		consent_source text NOT NULL,
		consent_at     timestamptz
	) ON COMMIT DROP`

// stage copies the good rows of rd into the staging table and records the
// bad ones in rej.
func stage(ctx context.Context, tx *sqlx.Tx, rd *Reader, rej *rejections) error {
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
		languages, timezone, verified, phone, title, regions, countries, topics,
		status, consent_source, consent_at) FROM STDIN`)
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
			rej.add(RowError{Line: rec.Line, Email: rec.Contact.Email, Reason: strings.Join(rec.Problems, "; ")}, rec.kind)
			continue
		}
		c := &rec.Contact
		var country, consentAt any // NULL, not "", for no country or time
		if c.Country != "" {
			country = c.Country
		}
		if c.ConsentAt != nil {
			consentAt = *c.ConsentAt
		}
		if _, err := stmt.ExecContext(ctx, rec.Line, c.Email, c.Kind, c.Name, c.Organisation, country,
			[]string(c.Languages), c.Timezone, c.Verified, c.Phone, c.Title,
			[]string(c.Regions), []string(c.Countries), []string(c.Topics),
			c.Status, c.ConsentSource, consentAt); err != nil {
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
// those rows from the staging table when skipping. It reads only the
// first MaxReported of them, however many there are.
func rejectDuplicates(ctx context.Context, tx *sqlx.Tx, rej *rejections, skip bool) error {
	var dups []struct {
		Line  int    `db:"line"`
		Email string `db:"email"`
		First int    `db:"first"`
		Total int    `db:"total"`
	}
	err := sqlx.SelectContext(ctx, tx, &dups, `
		SELECT line, left(email, $1) AS email, first, count(*) OVER () AS total FROM (
			SELECT line, email, min(line) OVER (PARTITION BY lower(email)) AS first FROM contact_import
		) s WHERE line <> first ORDER BY line LIMIT $2`, 2*MaxEmailLen, MaxReported)
	if err != nil {
		return fmt.Errorf("import contacts: find duplicates: %w", err)
	}
	if len(dups) == 0 {
		return nil
	}
	rows := make([]RowError, len(dups))
	for i, d := range dups {
		rows[i] = RowError{Line: d.Line, Email: d.Email,
			Reason: fmt.Sprintf("email %s is a duplicate of line %d (addresses ignore case)", quote(d.Email), d.First)}
	}
	rej.merge(rows, "duplicate", dups[0].Total)
	if !skip {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM contact_import s USING (
			SELECT line, min(line) OVER (PARTITION BY lower(email)) AS first FROM contact_import
		) d WHERE s.line = d.line AND d.line <> d.first`); err != nil {
		return fmt.Errorf("import contacts: drop duplicates: %w", err)
	}
	return nil
}
