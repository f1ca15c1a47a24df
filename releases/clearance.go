package releases

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Clearance states of a draft.
const (
	ClearanceNone      = "none"
	ClearanceSubmitted = "submitted"
	ClearanceCleared   = "cleared"
	ClearanceReturned  = "returned"
)

// Clearance is where a draft stands in its clearance: who wrote it, and
// who last submitted, cleared or returned it, when, with what comment.
type Clearance struct {
	State   string     `json:"state"`
	Author  string     `json:"author,omitempty"`
	By      string     `json:"by,omitempty"`
	At      *time.Time `json:"at,omitempty"`
	Comment string     `json:"comment,omitempty"`
}

const maxComment = 2000

// Submit asks for a draft's clearance.
func (l *Lifecycle) Submit(ctx context.Context, id int64, actor string) error {
	return l.clearance(ctx, id, actor, "submit", "", func(c *locked) (string, error) {
		switch c.Clearance {
		case ClearanceSubmitted:
			return "", communique.Errorf(communique.ECONFLICT, "release %d is already submitted for clearance", id)
		case ClearanceCleared:
			return "", communique.Errorf(communique.ECONFLICT, "release %d is already cleared", id)
		}
		return ClearanceSubmitted, nil
	})
}

// Clear clears a submitted draft: by someone other than its author.
func (l *Lifecycle) Clear(ctx context.Context, id int64, actor, comment string) error {
	return l.clearance(ctx, id, actor, "clear", comment, func(c *locked) (string, error) {
		if c.Clearance != ClearanceSubmitted {
			return "", communique.Errorf(communique.ECONFLICT, "release %d is not submitted for clearance (it is %s): only a submitted draft is cleared", id, c.Clearance)
		}
		if c.CreatedBy == actor {
			return "", communique.Errorf(communique.ECONFLICT, "release %d was written by %s: someone else must clear it", id, actor)
		}
		return ClearanceCleared, nil
	})
}

// Return sends a submitted or cleared draft back to its author with a
// comment that says why.
func (l *Lifecycle) Return(ctx context.Context, id int64, actor, comment string) error {
	if strings.TrimSpace(comment) == "" {
		return communique.Invalid("invalid return", []string{"comment: required: say what must change"})
	}
	return l.clearance(ctx, id, actor, "return", comment, func(c *locked) (string, error) {
		if c.Clearance != ClearanceSubmitted && c.Clearance != ClearanceCleared {
			return "", communique.Errorf(communique.ECONFLICT, "release %d is not submitted for clearance (it is %s)", id, c.Clearance)
		}
		return ClearanceReturned, nil
	})
}

// clearance moves draft id to the state next returns, in one transaction
// with its audit entry.
func (l *Lifecycle) clearance(ctx context.Context, id int64, actor, action, comment string, next func(*locked) (string, error)) error {
	if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > maxComment {
		return communique.Invalid("invalid "+action, []string{fmt.Sprintf("comment: at most %d characters of UTF-8 text", maxComment)})
	}
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		c, err := lockDraft(ctx, tx, id, action+"ed")
		if err != nil {
			return err
		}
		state, err := next(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE releases SET clearance = $2, clearance_by = $3, clearance_at = $4, clearance_comment = $5
			WHERE id = $1`, id, state, actor, l.now(), comment); err != nil {
			return fmt.Errorf("%s release %d: %w", action, id, err)
		}
		return audit(ctx, tx, actor, action, id, map[string]any{"clearance": state, "before": c.Clearance, "comment": comment})
	})
}

// Unclear drops a draft's clearance when it, or what goes with it such as
// its media, is changed in tx: what was cleared is no longer what would
// go out. It returns the clearance dropped, or "" when there was none to
// drop; a release that is no longer a draft keeps its clearance.
func Unclear(ctx context.Context, tx *sqlx.Tx, id int64) (string, error) {
	var before string
	if err := tx.GetContext(ctx, &before, `
		WITH old AS (SELECT clearance FROM releases WHERE id = $1)
		UPDATE releases SET clearance = 'none', clearance_by = '', clearance_at = NULL, clearance_comment = ''
		WHERE id = $1 AND status = 'draft' AND clearance IN ('submitted', 'cleared')
		RETURNING (SELECT clearance FROM old)`, id); err != nil && !postgres.IsNoRows(err) {
		return "", fmt.Errorf("un-clear release %d: %w", id, err)
	}
	return before, nil
}

// checkCleared refuses to publish locked draft r when it is not cleared
// and clearance is required.
func (l *Lifecycle) checkCleared(r *locked) error {
	if l.ClearanceRequired && r.Clearance != ClearanceCleared {
		return communique.Errorf(communique.ECONFLICT, "release %d is not cleared (clearance: %s): submit it, and an editor other than its author clears it", r.ID, r.Clearance)
	}
	return nil
}
