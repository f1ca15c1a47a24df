package releases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
)

// Selection is an audience as an editor holds it before it is saved:
// what it names, the languages the release is written in, and its
// embargo.
type Selection struct {
	Regions, Countries, Topics []string
	// Languages are the release's translations, Original the one it was
	// written in: they decide which translation each reader gets.
	Languages       []string
	Original        string
	EmbargoUntil    *time.Time
	EmbargoAudience EmbargoAudience
}

// SelectionAudience is who a selection reaches, as Audience counts it,
// with the names of a few of the public audience.
type SelectionAudience struct {
	Audience
	Sample []string `json:"sample"`
}

// errScratch rolls back the transaction a selection is counted in.
var errScratch = errors.New("selection counted")

// AudienceOf counts who sel would reach if it were published at now, as
// GetAudience counts a saved release, and names up to sample of them.
// The counts run the very statements a publication runs, on a release
// row that exists only inside a transaction that is rolled back: there
// is one set of audience rules, and nothing is left behind. An unknown
// region, country or topic is an EINVALID error naming it.
func AudienceOf(ctx context.Context, db *sqlx.DB, sel Selection, match Matcher, now time.Time, sample int) (*SelectionAudience, error) {
	missions := sel.EmbargoAudience.Missions
	if missions == "" {
		missions = "none"
	}
	if !slices.Contains([]string{"all", "concerned", "none"}, missions) {
		return nil, communique.Invalid("invalid audience", []string{fmt.Sprintf("embargo_audience.missions: %q is not all, concerned or none", missions)})
	}
	if err := taxonomy.Validate(ctx, db, sel.Regions, sel.Countries, sel.Topics); err != nil {
		return nil, err
	}
	langs := slices.Clone(sel.Languages)
	if len(langs) == 0 && sel.Original != "" {
		langs = []string{sel.Original}
	}
	// Sorted as the dispatcher reads them, so ties resolve alike.
	slices.Sort(langs)
	choose := func(prefs []string) string { return match(prefs, langs, sel.Original) }
	out := &SelectionAudience{Sample: []string{}}
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		// Sorting a large audience in memory rather than on disk; the
		// setting ends with the transaction.
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '32MB'`); err != nil {
			return fmt.Errorf("count a selection: %w", err)
		}
		// A negative id, which the sequence never hands out, and one per
		// server process, so that concurrent counts never wait on each
		// other's uncommitted row.
		var id int64
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO releases (id, slug, original_language, regions, countries, topics, embargo_missions, embargo_verified)
			VALUES (-pg_backend_pid(), 'selection-' || pg_backend_pid(), $1, $2, $3, $4, $5, $6)
			RETURNING id`,
			sel.Original, pq.Array(nonNil(sel.Regions)), pq.Array(nonNil(sel.Countries)), pq.Array(nonNil(sel.Topics)),
			missions, sel.EmbargoAudience.VerifiedJournalists); err != nil {
			return fmt.Errorf("count a selection: %w", err)
		}
		a, err := countAudience(ctx, tx, id, choose, sel.EmbargoUntil != nil && sel.EmbargoUntil.After(now))
		if err != nil {
			return err
		}
		out.Audience = *a
		if sample > 0 && a.Total > 0 {
			if out.Sample, err = sampleAudience(ctx, tx, id, sample); err != nil {
				return err
			}
		}
		return errScratch
	})
	if !errors.Is(err, errScratch) {
		return nil, err
	}
	return out, nil
}

// sampleAudience names up to n contacts of release id's public audience,
// lowest ids first. It records their deliveries for a dispatch of the
// scratch release, a range of contacts at a time, small first, so that
// a large audience gives its names from its first few hundred contacts.
func sampleAudience(ctx context.Context, tx *sqlx.Tx, id int64, n int) ([]string, error) {
	var dispatch int64
	if err := tx.GetContext(ctx, &dispatch, `
		INSERT INTO dispatches (id, release_id, variant) VALUES ($1, $1, 'public') RETURNING id`, id); err != nil {
		return nil, fmt.Errorf("sample a selection: %w", err)
	}
	var ids struct {
		Min int64 `db:"min"`
		Max int64 `db:"max"`
	}
	// Ids start wherever the sequence stood when contacts were first
	// imported, so the ranges start at the lowest.
	if err := tx.GetContext(ctx, &ids, `SELECT coalesce(min(id), 1) AS min, coalesce(max(id), 0) AS max FROM contacts`); err != nil {
		return nil, fmt.Errorf("sample a selection: %w", err)
	}
	// The language does not matter for a name.
	none := contacts.LanguageMap{}
	found := 0
	for from, span := ids.Min, int64(500); from <= ids.Max && found < n; from, span = from+span, span*8 {
		to := min(from+span-1, ids.Max)
		if _, err := contacts.InsertPublicAudienceRange(ctx, tx, dispatch, id, none, "", from, to); err != nil {
			return nil, err
		}
		if err := tx.GetContext(ctx, &found, `SELECT count(*) FROM deliveries WHERE dispatch_id = $1 AND status = 'queued'`, dispatch); err != nil {
			return nil, fmt.Errorf("sample a selection: %w", err)
		}
	}
	names := []string{}
	if err := tx.SelectContext(ctx, &names, `
		SELECT CASE WHEN c.name <> '' THEN c.name ELSE c.email END
		FROM deliveries d JOIN contacts c ON c.id = d.contact_id
		WHERE d.dispatch_id = $1 AND d.status = 'queued'
		ORDER BY c.id LIMIT $2`, dispatch, n); err != nil {
		return nil, fmt.Errorf("sample a selection: %w", err)
	}
	return names, nil
}
