package releases

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Autosave replaces draft id with d as Edit does, for a save nobody
// asked for in so many words: it is an ECONFLICT error, and changes
// nothing, when the draft changed after seen (its updated_at), which
// would overwrite someone else's edit unseen, or when it is submitted for
// clearance or cleared, which an edit withdraws. It returns the draft's
// new updated_at, to be seen by the next save.
func (l *Lifecycle) Autosave(ctx context.Context, id int64, seen time.Time, d *Draft, actor string) (time.Time, error) {
	var saved time.Time
	err := postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		check := func(cur *Release) error {
			if !cur.UpdatedAt.Equal(seen) {
				return communique.Errorf(communique.ECONFLICT, "release %d changed since it was opened, at %s", id, cur.UpdatedAt.UTC().Format(time.RFC3339))
			}
			if st := cur.Clearance.State; st == ClearanceSubmitted || st == ClearanceCleared {
				return communique.Errorf(communique.ECONFLICT, "release %d is %s: saving it withdraws that, which only an explicit save does", id, st)
			}
			return nil
		}
		if err := l.edit(ctx, tx, id, d, actor, check); err != nil {
			return err
		}
		if err := foldAutosave(ctx, tx, id, actor); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &saved, `SELECT updated_at FROM releases WHERE id = $1`, id); err != nil {
			return fmt.Errorf("autosave release %d: %w", id, err)
		}
		return nil
	})
	return saved, err
}

// autosaveSitting is how long after one autosave the next, by the same
// person with nothing between, still belongs to the same sitting.
const autosaveSitting = 10 * time.Minute

// foldAutosave marks the audit entry the edit just wrote as an autosave
// and folds it into the entry before it when that is an autosave of the
// same draft by the same person less than autosaveSitting ago: that
// entry keeps its "before" and takes the latest "after". The log then
// says who changed what in a sitting, not once per pause in typing.
// The draft's row lock, held, keeps other entries about it from
// coming between.
func foldAutosave(ctx context.Context, tx *sqlx.Tx, id int64, actor string) error {
	var latest int64
	if err := tx.GetContext(ctx, &latest, `
		UPDATE audit_log SET details = details || '{"autosave": true}'
		WHERE id = (SELECT max(id) FROM audit_log WHERE release_id = $1)
		RETURNING id`, id); err != nil {
		return fmt.Errorf("audit autosave of release %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE audit_log p SET at = n.at, details = n.details || jsonb_build_object('before', p.details->'before')
		FROM audit_log n
		WHERE n.id = $2
		  AND p.id = (SELECT max(id) FROM audit_log WHERE release_id = $1 AND id < $2)
		  AND p.actor = $3 AND p.action = 'edit' AND p.details->>'autosave' = 'true'
		  AND p.at > n.at - $4 * interval '1 second'`, id, latest, actor, autosaveSitting.Seconds())
	if err != nil {
		return fmt.Errorf("audit autosave of release %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE id = $1`, latest); err != nil {
			return fmt.Errorf("audit autosave of release %d: %w", id, err)
		}
	}
	return nil
}
