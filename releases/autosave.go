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
		if _, err := lockDraft(ctx, tx, id, "edited (correct it instead)"); err != nil {
			return err
		}
		var cur struct {
			UpdatedAt time.Time `db:"updated_at"`
			Clearance string    `db:"clearance"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT updated_at, clearance FROM releases WHERE id = $1`, id); err != nil {
			return fmt.Errorf("autosave release %d: %w", id, err)
		}
		if !cur.UpdatedAt.Equal(seen) {
			return communique.Errorf(communique.ECONFLICT, "release %d changed since it was opened, at %s", id, cur.UpdatedAt.UTC().Format(time.RFC3339))
		}
		if cur.Clearance == ClearanceSubmitted || cur.Clearance == ClearanceCleared {
			return communique.Errorf(communique.ECONFLICT, "release %d is %s: saving it withdraws that, which only an explicit save does", id, cur.Clearance)
		}
		if err := l.edit(ctx, tx, id, d, actor); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &saved, `SELECT updated_at FROM releases WHERE id = $1`, id); err != nil {
			return fmt.Errorf("autosave release %d: %w", id, err)
		}
		return nil
	})
	return saved, err
}
