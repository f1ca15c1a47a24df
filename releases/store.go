package releases

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/tracking"
)

// Create validates r and stores it as a draft, returning its id. It
// checks no time and writes no audit entry: the press office's surfaces
// use Lifecycle.Create, which does both.
func Create(ctx context.Context, db *sqlx.DB, r *Release) (int64, error) {
	if err := r.Normalize(); err != nil {
		return 0, err
	}
	if err := taxonomy.Validate(ctx, db, r.Regions, r.Countries, r.Topics); err != nil {
		return 0, err
	}
	var id int64
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) (err error) {
		id, err = insertRelease(ctx, tx, r, "")
		return err
	})
	return id, err
}

// insertRelease stores a validated release as a draft written by author
// (who may not clear it), or by no one in particular.
func insertRelease(ctx context.Context, tx *sqlx.Tx, r *Release, author string) (int64, error) {
	contactIDs, err := pressContactIDs(ctx, tx, r.PressContacts)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO releases (slug, original_language, regions, countries, topics,
			embargo_until, embargo_missions, embargo_verified, greeting, track_opens, track_clicks, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		r.Slug, r.OriginalLanguage, pq.Array(nonNil(r.Regions)), pq.Array(nonNil(r.Countries)), pq.Array(nonNil(r.Topics)),
		r.EmbargoUntil, r.EmbargoAudience.Missions, r.EmbargoAudience.VerifiedJournalists, r.Greeting,
		r.Tracking.Opens, r.Tracking.Clicks, author)
	if postgres.IsUniqueViolation(err, "releases_slug_key") {
		return 0, slugTaken(r.Slug)
	}
	if err != nil {
		return 0, fmt.Errorf("insert release: %w", err)
	}
	return id, insertChildren(ctx, tx, id, r, contactIDs)
}

func slugTaken(slug string) error {
	return &communique.Error{Code: communique.ECONFLICT, Message: "a release with this slug exists",
		Details: []string{fmt.Sprintf("slug: %q is taken", slug)}}
}

func insertChildren(ctx context.Context, tx *sqlx.Tx, id int64, r *Release, contactIDs []int64) error {
	if err := insertTranslations(ctx, tx, id, r.Translations); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO release_press_contacts (release_id, position, contact_id)
		SELECT $1, ord, cid FROM unnest($2::bigint[]) WITH ORDINALITY AS u(cid, ord)`,
		id, pq.Array(contactIDs)); err != nil {
		return fmt.Errorf("insert press contacts: %w", err)
	}
	return nil
}

func insertTranslations(ctx context.Context, tx *sqlx.Tx, id int64, translations map[string]Translation) error {
	var langs, titles, summaries, bodies, datelines []string
	for lang, t := range translations {
		langs = append(langs, lang)
		titles = append(titles, t.Title)
		summaries = append(summaries, t.Summary)
		bodies = append(bodies, t.Body)
		datelines = append(datelines, t.Dateline)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO release_translations (release_id, language, title, summary, body, dateline)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
		id, pq.Array(langs), pq.Array(titles), pq.Array(summaries), pq.Array(bodies), pq.Array(datelines)); err != nil {
		return fmt.Errorf("insert translations: %w", err)
	}
	return nil
}

// pressContactIDs maps press-contact addresses to contact ids, in order,
// naming every address that is not a known contact.
func pressContactIDs(ctx context.Context, tx *sqlx.Tx, emails []string) ([]int64, error) {
	var rows []struct {
		Ord int   `db:"ord"`
		ID  int64 `db:"id"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		SELECT u.ord, c.id FROM unnest($1::text[]) WITH ORDINALITY AS u(email, ord)
		JOIN contacts c ON lower(c.email) = lower(u.email)`, pq.Array(emails)); err != nil {
		return nil, fmt.Errorf("look up press contacts: %w", err)
	}
	ids := make([]int64, len(emails))
	for _, r := range rows {
		ids[r.Ord-1] = r.ID
	}
	var missing []string
	for i, id := range ids {
		if id == 0 {
			missing = append(missing, fmt.Sprintf("press_contacts[%d]: %q is not a known contact", i, emails[i]))
		}
	}
	if err := communique.Invalid("invalid release", missing); err != nil {
		return nil, err
	}
	return ids, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Get returns the release with id.
func Get(ctx context.Context, q sqlx.QueryerContext, id int64) (*Release, error) {
	var row struct {
		ID               int64          `db:"id"`
		Slug             string         `db:"slug"`
		OriginalLanguage string         `db:"original_language"`
		Status           string         `db:"status"`
		Regions          pq.StringArray `db:"regions"`
		Countries        pq.StringArray `db:"countries"`
		Topics           pq.StringArray `db:"topics"`
		EmbargoUntil     *time.Time     `db:"embargo_until"`
		EmbargoMissions  string         `db:"embargo_missions"`
		EmbargoVerified  bool           `db:"embargo_verified"`
		CreatedAt        time.Time      `db:"created_at"`
		UpdatedAt        time.Time      `db:"updated_at"`
		PublishedAt      *time.Time     `db:"published_at"`
		Greeting         bool           `db:"greeting"`
		TrackOpens       bool           `db:"track_opens"`
		TrackClicks      bool           `db:"track_clicks"`
		CreatedBy        string         `db:"created_by"`
		Clearance        string         `db:"clearance"`
		ClearanceBy      string         `db:"clearance_by"`
		ClearanceAt      *time.Time     `db:"clearance_at"`
		ClearanceComment string         `db:"clearance_comment"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT id, slug, original_language, status, regions, countries, topics, embargo_until,
			embargo_missions, embargo_verified, created_at, updated_at, published_at, greeting,
			track_opens, track_clicks, created_by, clearance, clearance_by, clearance_at, clearance_comment
		FROM releases WHERE id = $1`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "release %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get release %d: %w", id, err)
	}
	r := &Release{
		ID: row.ID, Slug: row.Slug, OriginalLanguage: row.OriginalLanguage, Status: row.Status,
		Regions: row.Regions, Countries: row.Countries, Topics: row.Topics,
		EmbargoUntil:    row.EmbargoUntil,
		EmbargoAudience: EmbargoAudience{Missions: row.EmbargoMissions, VerifiedJournalists: row.EmbargoVerified},
		CreatedAt:       row.CreatedAt, UpdatedAt: row.UpdatedAt, PublishedAt: row.PublishedAt,
		Translations: map[string]Translation{}, Greeting: row.Greeting,
		Tracking:  Tracking{Opens: row.TrackOpens, Clicks: row.TrackClicks},
		Clearance: &Clearance{State: row.Clearance, Author: row.CreatedBy, By: row.ClearanceBy, At: row.ClearanceAt, Comment: row.ClearanceComment},
	}
	var trs []struct {
		Language string `db:"language"`
		Translation
	}
	if err := sqlx.SelectContext(ctx, q, &trs, `
		SELECT language, title, summary, body, dateline FROM release_translations WHERE release_id = $1`, id); err != nil {
		return nil, fmt.Errorf("get translations of release %d: %w", id, err)
	}
	for _, t := range trs {
		r.Translations[t.Language] = t.Translation
	}
	if err := sqlx.SelectContext(ctx, q, &r.PressContacts, `
		SELECT c.email FROM release_press_contacts p JOIN contacts c ON c.id = p.contact_id
		WHERE p.release_id = $1 ORDER BY p.position`, id); err != nil {
		return nil, fmt.Errorf("get press contacts of release %d: %w", id, err)
	}
	return r, nil
}

// Report counts a release's deliveries.
type Report struct {
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"by_status"`
	ByLanguage map[string]int `json:"by_language"`
	ByVariant  map[string]int `json:"by_variant"`
	// Messages counts the release's single messages (its test sends),
	// by kind then status; they are not deliveries and count in no
	// other field.
	Messages map[string]map[string]int `json:"messages"`
	// Engagement counts opens and clicks per delivery; only for a
	// release that tracks them.
	Engagement *tracking.Counts `json:"engagement,omitempty"`
}

// GetReport returns the delivery counts of release id in one query.
func GetReport(ctx context.Context, db *sqlx.DB, id int64) (*Report, error) {
	if err := mustExist(ctx, db, id); err != nil {
		return nil, err
	}
	var rows []struct {
		Status   string `db:"status"`
		Language string `db:"language"`
		Variant  string `db:"variant"`
		N        int    `db:"n"`
	}
	err := db.SelectContext(ctx, &rows, `
		SELECT d.status, d.language, s.variant, count(*) AS n
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE s.release_id = $1
		GROUP BY 1, 2, 3`, id)
	if err != nil {
		return nil, fmt.Errorf("report of release %d: %w", id, err)
	}
	rep := &Report{ByStatus: map[string]int{}, ByLanguage: map[string]int{}, ByVariant: map[string]int{}}
	for _, r := range rows {
		rep.Total += r.N
		rep.ByStatus[r.Status] += r.N
		rep.ByLanguage[r.Language] += r.N
		rep.ByVariant[r.Variant] += r.N
	}
	if rep.Messages, err = mailqueue.ReleaseCounts(ctx, db, id); err != nil {
		return nil, err
	}
	if rep.Engagement, err = tracking.ReleaseCounts(ctx, db, id); err != nil {
		return nil, err
	}
	return rep, nil
}

// mustExist returns ENOTFOUND unless release id exists, without loading it.
func mustExist(ctx context.Context, db sqlx.QueryerContext, id int64) error {
	var exists bool
	if err := sqlx.GetContext(ctx, db, &exists, `SELECT EXISTS (SELECT 1 FROM releases WHERE id = $1)`, id); err != nil {
		return fmt.Errorf("look up release %d: %w", id, err)
	}
	if !exists {
		return communique.Errorf(communique.ENOTFOUND, "release %d not found", id)
	}
	return nil
}
