package releases

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
)

// Draft is the body that creates a release or replaces a draft: the
// release, and whether a past embargo_until is meant.
type Draft struct {
	Release
	// PublishNow accepts an embargo_until that has passed: the release is
	// stored without embargo and goes out at once when published.
	// Without it such a time is refused, as it is most often a typo.
	PublishNow bool `json:"publish_now,omitempty"`
	// Tracking, when given, sets what the release counts (it is read
	// here rather than into Release.Tracking, which it hides). An edit
	// without it keeps the draft's setting, so that a surface that does
	// not show the setting cannot switch it off unseen.
	Tracking *Tracking `json:"tracking,omitempty"`
}

// prepare validates d for storage at now, naming every problem found.
func (d *Draft) prepare(ctx context.Context, q sqlx.QueryerContext, now time.Time) error {
	if err := d.Normalize(); err != nil {
		return err
	}
	if err := checkEmbargo(d.EmbargoUntil, now, d.PublishNow); err != nil {
		return err
	}
	if d.EmbargoUntil != nil && !d.EmbargoUntil.After(now) {
		d.EmbargoUntil = nil
	}
	return taxonomy.Validate(ctx, q, d.Regions, d.Countries, d.Topics)
}

// Create validates d and stores it as a draft, returning its id.
func (l *Lifecycle) Create(ctx context.Context, d *Draft, actor string) (int64, error) {
	if err := d.prepare(ctx, l.DB, l.now()); err != nil {
		return 0, err
	}
	if d.Tracking != nil {
		d.Release.Tracking = *d.Tracking
	}
	var id int64
	err := postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) (err error) {
		if id, err = insertRelease(ctx, tx, &d.Release, actor); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "create", id, map[string]any{"slug": d.Slug, "languages": d.Languages()})
	})
	return id, err
}

// Edit replaces draft id with d, validated as Create validates it; a
// release no longer a draft is an ECONFLICT error: a published one is
// changed by a correction.
func (l *Lifecycle) Edit(ctx context.Context, id int64, d *Draft, actor string) error {
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error { return l.edit(ctx, tx, id, d, actor, nil) })
}

// edit is Edit in tx, which it locks draft id in. check, when given, may
// refuse the edit on seeing the locked draft as it stands, before
// anything is written.
func (l *Lifecycle) edit(ctx context.Context, tx *sqlx.Tx, id int64, d *Draft, actor string, check func(old *Release) error) error {
	if _, err := lockDraft(ctx, tx, id, "edited (correct it instead)"); err != nil {
		return err
	}
	old, err := Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(old); err != nil {
			return err
		}
	}
	before := auditView(old)
	d.Release.Tracking = old.Tracking
	if d.Tracking != nil {
		d.Release.Tracking = *d.Tracking
	}
	now := l.now()
	if err := d.prepare(ctx, tx, now); err != nil {
		return err
	}
	contactIDs, err := pressContactIDs(ctx, tx, d.PressContacts)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE releases SET slug = $2, original_language = $3, regions = $4, countries = $5, topics = $6,
			embargo_until = $7, embargo_missions = $8, embargo_verified = $9, updated_at = $10, greeting = $11,
			track_opens = $12, track_clicks = $13
		WHERE id = $1`,
		id, d.Slug, d.OriginalLanguage, pq.Array(nonNil(d.Regions)), pq.Array(nonNil(d.Countries)), pq.Array(nonNil(d.Topics)),
		d.EmbargoUntil, d.EmbargoAudience.Missions, d.EmbargoAudience.VerifiedJournalists, now, d.Greeting,
		d.Release.Tracking.Opens, d.Release.Tracking.Clicks)
	if postgres.IsUniqueViolation(err, "releases_slug_key") {
		return slugTaken(d.Slug)
	}
	if err != nil {
		return fmt.Errorf("edit release %d: %w", id, err)
	}
	for _, table := range []string{"release_translations", "release_press_contacts"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE release_id = $1`, id); err != nil {
			return fmt.Errorf("edit release %d: %w", id, err)
		}
	}
	if err := insertChildren(ctx, tx, id, &d.Release, contactIDs); err != nil {
		return err
	}
	details := map[string]any{"slug": d.Slug, "languages": d.Languages(), "before": before, "after": auditView(&d.Release)}
	was, err := Unclear(ctx, tx, id)
	if err != nil {
		return err
	}
	if was != "" {
		details["clearance_dropped"] = was
	}
	return audit(ctx, tx, actor, "edit", id, details)
}

// Delete deletes draft id; a release no longer a draft is an ECONFLICT
// error, since people may have received it. The audit log keeps the
// entries about it.
func (l *Lifecycle) Delete(ctx context.Context, id int64, actor string) error {
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lockDraft(ctx, tx, id, "deleted (recall it instead)")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM releases WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete release %d: %w", id, err)
		}
		return audit(ctx, tx, actor, "delete", id, map[string]any{"slug": r.Slug})
	})
}

// lockDraft locks release id, refusing any release that is not a draft.
func lockDraft(ctx context.Context, tx *sqlx.Tx, id int64, what string) (*locked, error) {
	r, err := lock(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusDraft {
		return nil, communique.Errorf(communique.ECONFLICT, "release %d is %s: only a draft can be %s", id, r.Status, what)
	}
	return r, nil
}

// auditView is what the audit log keeps of a release's content, to show
// what an edit changed.
func auditView(r *Release) map[string]any {
	return map[string]any{
		"slug": r.Slug, "original_language": r.OriginalLanguage, "translations": r.Translations,
		"regions": nonNil(r.Regions), "countries": nonNil(r.Countries), "topics": nonNil(r.Topics),
		"embargo_until": r.EmbargoUntil, "embargo_audience": r.EmbargoAudience,
		"press_contacts": nonNil(r.PressContacts), "greeting": r.Greeting, "tracking": r.Tracking,
	}
}
