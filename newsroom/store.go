package newsroom

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
)

// public is the one rule saying which releases the newsroom shows: those
// the life cycle has published (an embargo becomes "published" only when
// the scheduler lifts it), and those recalled after that, which show a
// withdrawal notice. A release recalled under embargo was never public.
const public = `r.status IN ('published', 'recalled') AND r.published_at IS NOT NULL`

// entry is a public release as a list, a feed or the sitemap shows it, in
// one of its languages.
type entry struct {
	ID          int64          `db:"id"`
	Slug        string         `db:"slug"`
	Original    string         `db:"original_language"`
	Status      string         `db:"status"`
	Regions     pq.StringArray `db:"regions"`
	Countries   pq.StringArray `db:"countries"`
	Topics      pq.StringArray `db:"topics"`
	PublishedAt time.Time      `db:"published_at"`
	UpdatedAt   time.Time      `db:"updated_at"`
	Revision    int            `db:"revision"`
	Language    string         `db:"language"`
	Title       string         `db:"title"`
	Summary     string         `db:"summary"`
	Body        string         `db:"body"`
	Dateline    string         `db:"dateline"`
	Languages   pq.StringArray `db:"languages"`
}

// filter narrows a list. Empty fields do not filter.
type filter struct {
	Region, Country, Topic string
	// Language keeps the releases that have a translation in it.
	Language string
	// Query is searched in titles and summaries of every language.
	Query string
}

// listQuery lists public releases newest first, each in the language
// prefer names when it has it, else in its original language. A region
// takes in the releases of its countries and of the regions inside it.
const listQuery = `
SELECT r.id, r.slug, r.original_language, r.status, r.regions, r.countries, r.topics,
	r.published_at, r.updated_at, r.revision, t.language, t.title, t.summary, t.body, t.dateline,
	ARRAY(SELECT language FROM release_translations x WHERE x.release_id = r.id ORDER BY language) AS languages
FROM releases r
CROSS JOIN LATERAL (
	SELECT language, title, summary, body, dateline FROM release_translations tt
	WHERE tt.release_id = r.id
	ORDER BY (tt.language = $1) DESC, (tt.language = r.original_language) DESC, tt.language
	LIMIT 1) t
WHERE ` + public + `
	AND ($2 = '' OR r.countries && ARRAY(SELECT country::text FROM region_countries WHERE region_slug = $2)
		OR r.regions && ARRAY(WITH RECURSIVE inside(slug) AS (
			SELECT $2::text UNION SELECT g.slug FROM regions g JOIN inside ON g.parent_slug = inside.slug)
			SELECT slug FROM inside))
	AND ($3 = '' OR $3 = ANY (r.countries))
	AND ($4 = '' OR $4 = ANY (r.topics))
	AND ($5 = '' OR EXISTS (SELECT 1 FROM release_translations x WHERE x.release_id = r.id AND x.language = $5))
	AND ($6 = '' OR EXISTS (SELECT 1 FROM release_translations x WHERE x.release_id = r.id
		AND (x.title ILIKE $6 ESCAPE '\' OR x.summary ILIKE $6 ESCAPE '\')))
ORDER BY r.published_at DESC, r.id DESC
LIMIT $7 OFFSET $8`

// list returns up to limit public releases matching f after skipping
// offset, each in prefer's language where it has one.
func list(ctx context.Context, db sqlx.QueryerContext, prefer string, f filter, limit, offset int) ([]entry, error) {
	like := ""
	if q := strings.TrimSpace(f.Query); q != "" {
		like = "%" + likeEscaper.Replace(q) + "%"
	}
	var out []entry
	err := sqlx.SelectContext(ctx, db, &out, listQuery, prefer, f.Region, f.Country, f.Topic, f.Language, like, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list public releases: %w", err)
	}
	return out, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// page is a public release in the language a reader asked for.
type page struct {
	entry
	EmbargoUntil *time.Time `db:"embargo_until"`
	RecalledAt   *time.Time `db:"recalled_at"`
	// RecallReason is what the recall told its readers, if anything.
	RecallReason string `db:"-"`
	// Corrections are those that changed this language, oldest first.
	Corrections []correction `db:"-"`
}

// correction is a dated correction of one language, with its note.
type correction struct {
	At   time.Time
	Note string
}

// getPage returns the public release slug in lang, or in its original
// language when lang is empty or not one of its own; nil when there is
// no public release of that slug.
func getPage(ctx context.Context, db *sqlx.DB, slug, lang string) (*page, error) {
	return loadPage(ctx, db, "r.slug = $1 AND "+public, slug, lang)
}

// getPreview returns release id in lang while it is under embargo, dated
// by its lift; nil once it is not.
func getPreview(ctx context.Context, db *sqlx.DB, id int64, lang string) (*page, error) {
	return loadPage(ctx, db, "r.id = $1 AND r.status = 'embargoed'", id, lang)
}

// loadPage returns the release that where ($1 being key) selects.
func loadPage(ctx context.Context, db *sqlx.DB, where string, key any, lang string) (*page, error) {
	var p page
	err := db.GetContext(ctx, &p, `
		SELECT r.id, r.slug, r.original_language, r.status, r.regions, r.countries, r.topics,
			coalesce(r.published_at, r.embargo_until) AS published_at, r.updated_at, r.revision, r.embargo_until, r.recalled_at,
			t.language, t.title, t.summary, t.body, t.dateline,
			ARRAY(SELECT language FROM release_translations x WHERE x.release_id = r.id ORDER BY language) AS languages
		FROM releases r
		CROSS JOIN LATERAL (
			SELECT language, title, summary, body, dateline FROM release_translations tt
			WHERE tt.release_id = r.id
			ORDER BY (tt.language = $2) DESC, (tt.language = r.original_language) DESC, tt.language
			LIMIT 1) t
		WHERE `+where, key, lang)
	if postgres.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("release %v: %w", key, err)
	}
	var follow []struct {
		Variant   string          `db:"variant"`
		CreatedAt time.Time       `db:"created_at"`
		Languages pq.StringArray  `db:"languages"`
		Notes     json.RawMessage `db:"notes"`
		Reason    string          `db:"reason"`
	}
	if err := db.SelectContext(ctx, &follow, `
		SELECT variant, created_at, languages, notes, reason FROM dispatches
		WHERE release_id = $1 AND variant IN ('correction', 'recall')
		ORDER BY created_at, id`, p.ID); err != nil {
		return nil, fmt.Errorf("corrections of release %v: %w", key, err)
	}
	for _, d := range follow {
		if d.Variant == "recall" {
			p.RecallReason = d.Reason
			continue
		}
		if d.Languages != nil && !slices.Contains(d.Languages, p.Language) {
			continue
		}
		var notes map[string]string
		if err := json.Unmarshal(d.Notes, &notes); err != nil {
			return nil, fmt.Errorf("correction notes of release %v: %w", key, err)
		}
		p.Corrections = append(p.Corrections, correction{At: d.CreatedAt, Note: notes[p.Language]})
	}
	return &p, nil
}

// stamp is what changes whenever any public page may change: a release
// becoming public, corrected or recalled moves its updated_at.
// Each part catches one kind of change even when clocks disagree: a
// release made public adds to the count, a correction to the revisions,
// a recall to the recalled.
type stamp struct {
	Count     int        `db:"count"`
	Revisions int        `db:"revisions"`
	Recalled  int        `db:"recalled"`
	Updated   *time.Time `db:"updated"`
	// Brand is the branding's version, which every page shows.
	Brand int64 `db:"brand"`
}

func (s stamp) key() string {
	return fmt.Sprintf("%d/%d/%d/%s/%d", s.Count, s.Revisions, s.Recalled, stampTime(s), s.Brand)
}

func getStamp(ctx context.Context, db sqlx.QueryerContext) (stamp, error) {
	var s stamp
	err := sqlx.GetContext(ctx, db, &s, `
		SELECT count(*) AS count, coalesce(sum(r.revision), 0) AS revisions,
			count(*) FILTER (WHERE r.status = 'recalled') AS recalled, max(r.updated_at) AS updated,
			(SELECT coalesce(max(version), 0) FROM branding) AS brand
		FROM releases r WHERE `+public)
	if err != nil {
		return s, fmt.Errorf("newsroom stamp: %w", err)
	}
	return s, nil
}

// option is one choice of a list filter.
type option struct {
	Value, Label string
	Selected     bool
}

// facets are the regions, countries, topics and languages public
// releases name, for the home page's filters.
type facets struct {
	Regions, Countries, Topics, Languages []option
}

func getFacets(ctx context.Context, db sqlx.QueryerContext) (regions, topics []named, countries, languages []string, err error) {
	if err = sqlx.SelectContext(ctx, db, &regions, `
		SELECT g.slug, g.names FROM regions g
		WHERE g.slug IN (SELECT unnest(r.regions) FROM releases r WHERE `+public+`) ORDER BY g.slug`); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("newsroom regions: %w", err)
	}
	if err = sqlx.SelectContext(ctx, db, &topics, `
		SELECT g.slug, g.names FROM topics g
		WHERE g.slug IN (SELECT unnest(r.topics) FROM releases r WHERE `+public+`) ORDER BY g.slug`); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("newsroom topics: %w", err)
	}
	var row struct {
		Countries pq.StringArray `db:"countries"`
		Languages pq.StringArray `db:"languages"`
	}
	if err = sqlx.GetContext(ctx, db, &row, `
		SELECT ARRAY(SELECT DISTINCT unnest(r.countries) FROM releases r WHERE `+public+` ORDER BY 1) AS countries,
			ARRAY(SELECT DISTINCT t.language FROM release_translations t JOIN releases r ON r.id = t.release_id
				WHERE `+public+` ORDER BY 1) AS languages`); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("newsroom countries and languages: %w", err)
	}
	return regions, topics, row.Countries, row.Languages, nil
}

// named is a region or topic with its names by language.
type named struct {
	Slug  string         `db:"slug"`
	Names taxonomy.Names `db:"names"`
}

// exists reports whether slug names a row of table (regions or topics).
func exists(ctx context.Context, db sqlx.QueryerContext, table, slug string) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, db, &ok, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE slug = $1)`, slug)
	if err != nil {
		return false, fmt.Errorf("look up %s %q: %w", table, slug, err)
	}
	return ok, nil
}
