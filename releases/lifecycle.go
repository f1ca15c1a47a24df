package releases

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/events"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/postgres"
)

// Lifecycle moves releases through their states: publish (at once, or
// under embargo), lift, postpone, recall and correct. Each change, the
// dispatch it sends, its event and its audit entry commit together.
type Lifecycle struct {
	DB *sqlx.DB
	// Now is the clock every rule reads (time.Now when nil); the embargo
	// rules are tested by moving it.
	Now func() time.Time
	// Lifted, when set, is told how late after embargo_until each
	// scheduled lift happened.
	Lifted func(lateness time.Duration)
	// ClearanceRequired refuses to publish a draft that was not cleared
	// by someone other than its author.
	ClearanceRequired bool
}

// now is the clock truncated to PostgreSQL's microseconds: sent as is, a
// time a nanosecond before a lift would round up to the lift itself.
func (l *Lifecycle) now() time.Time {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// Publish publishes release id with the default clock, as the system,
// under the same rules as a press officer who sets no option.
func Publish(ctx context.Context, db *sqlx.DB, id int64) (string, error) {
	return (&Lifecycle{DB: db}).Publish(ctx, id, "system", PublishOptions{})
}

// locked is the part of a release the life cycle reads, locked for update.
type locked struct {
	ID           int64      `db:"id"`
	Status       string     `db:"status"`
	Slug         string     `db:"slug"`
	EmbargoUntil *time.Time `db:"embargo_until"`
	Revision     int        `db:"revision"`
	Clearance    string     `db:"clearance"`
	CreatedBy    string     `db:"created_by"`
}

func lock(ctx context.Context, tx *sqlx.Tx, id int64) (*locked, error) {
	var r locked
	err := tx.GetContext(ctx, &r, `SELECT id, status, slug, embargo_until, revision, clearance, created_by FROM releases WHERE id = $1 FOR UPDATE`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "release %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock release %d: %w", id, err)
	}
	return &r, nil
}

// PublishOptions are what a press officer may add to a publication,
// each overriding a rule that otherwise refuses it.
type PublishOptions struct {
	// PublishNow publishes at once, to the public, a release whose
	// embargo_until has passed; without it such a release is refused,
	// since its embargo can no longer be honoured as written.
	PublishNow bool `json:"publish_now"`
	// AllowEmpty publishes a release that nobody would receive; without
	// it that is refused, as it usually means a wrong region or topic.
	AllowEmpty bool `json:"allow_empty"`
}

// Publish makes a draft release public, or embargoed when its
// embargo_until is in the future: the embargoed notice goes to the embargo
// audience at once and the public version at the lift. Publishing a
// release that is already out changes nothing and reports its status.
// A past embargo_until and an empty audience are EINVALID errors unless
// opts overrides them.
func (l *Lifecycle) Publish(ctx context.Context, id int64, actor string, opts PublishOptions) (string, error) {
	var status string
	err := postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		status = r.Status
		switch r.Status {
		case StatusPublished, StatusEmbargoed:
			return nil
		case StatusRecalled:
			return communique.Errorf(communique.ECONFLICT, "release %d was recalled and cannot be published", id)
		}
		if err := l.checkCleared(r); err != nil {
			return err
		}
		now := l.now()
		details := map[string]any{}
		if err := checkEmbargo(r.EmbargoUntil, now, opts.PublishNow); err != nil {
			return err
		}
		if r.EmbargoUntil != nil && !r.EmbargoUntil.After(now) {
			// Published at once, it was never under embargo: the release
			// no longer claims one.
			details["embargo_until_ignored"] = r.EmbargoUntil
			r.EmbargoUntil = nil
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET embargo_until = NULL WHERE id = $1`, id); err != nil {
				return fmt.Errorf("drop the past embargo of release %d: %w", id, err)
			}
		}
		embargoed := r.EmbargoUntil != nil
		if !opts.AllowEmpty {
			if err := checkAudience(ctx, tx, id, embargoed); err != nil {
				return err
			}
		}
		if embargoed {
			status = StatusEmbargoed
			if _, err := tx.ExecContext(ctx, `UPDATE releases SET status = 'embargoed', updated_at = $2 WHERE id = $1`, id, now); err != nil {
				return fmt.Errorf("embargo release %d: %w", id, err)
			}
			if err := dispatch(ctx, tx, r, "embargoed", 0, events.SubjectEmbargoed, "release.embargoed", now, followUp{}); err != nil {
				return err
			}
			details["status"], details["embargo_until"] = status, r.EmbargoUntil
			return audit(ctx, tx, actor, "publish", id, details)
		}
		status = StatusPublished
		if _, err := tx.ExecContext(ctx, `UPDATE releases SET status = 'published', published_at = $2, updated_at = $2 WHERE id = $1`, id, now); err != nil {
			return fmt.Errorf("publish release %d: %w", id, err)
		}
		if err := dispatch(ctx, tx, r, "public", 0, events.SubjectPublished, "release.published", now, followUp{}); err != nil {
			return err
		}
		details["status"] = status
		return audit(ctx, tx, actor, "publish", id, details)
	})
	return status, err
}

// Lift ends a release's embargo now, ahead of time.
func (l *Lifecycle) Lift(ctx context.Context, id int64, actor string) error {
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != StatusEmbargoed {
			return communique.Errorf(communique.ECONFLICT, "release %d is %s, not embargoed: there is no embargo to lift", id, r.Status)
		}
		return lift(ctx, tx, r, l.now(), actor, "lift")
	})
}

// LiftDue lifts every embargo whose time has come and returns how many.
// Several processes may run it at once: each release is lifted by exactly
// one, under its row lock, and never before its embargo_until.
func (l *Lifecycle) LiftDue(ctx context.Context) (int, error) {
	lifted := 0
	for {
		did := false
		err := postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
			now := l.now()
			var r locked
			err := tx.GetContext(ctx, &r, `
				SELECT id, status, slug, embargo_until, revision FROM releases
				WHERE status = 'embargoed' AND embargo_until <= $1
				ORDER BY embargo_until LIMIT 1
				FOR UPDATE SKIP LOCKED`, now)
			if postgres.IsNoRows(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find due embargoes: %w", err)
			}
			did = true
			if err := lift(ctx, tx, &r, now, "scheduler", "lift"); err != nil {
				return err
			}
			if l.Lifted != nil {
				l.Lifted(now.Sub(*r.EmbargoUntil))
			}
			return nil
		})
		if err != nil || !did {
			return lifted, err
		}
		lifted++
	}
}

// NextLift is the earliest embargo still to lift, if any.
func (l *Lifecycle) NextLift(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	if err := l.DB.GetContext(ctx, &t, `SELECT min(embargo_until) FROM releases WHERE status = 'embargoed'`); err != nil {
		return time.Time{}, false, fmt.Errorf("next embargo: %w", err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// lift makes an embargoed release public: embargoed notices not yet on
// their way are cancelled (their recipients get the public version
// instead), and the public dispatch starts.
func lift(ctx context.Context, tx *sqlx.Tx, r *locked, now time.Time, actor, action string) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE releases SET status = 'published', published_at = $2, lifted_at = $2, updated_at = $2,
			embargo_until = least(embargo_until, $2)
		WHERE id = $1`, r.ID, now); err != nil {
		return fmt.Errorf("lift release %d: %w", r.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE deliveries d SET status = 'cancelled', lease_until = NULL, next_attempt_at = NULL, smtp_reply = 'embargo lifted before sending'
		FROM dispatches s
		WHERE s.id = d.dispatch_id AND s.release_id = $1 AND s.variant = 'embargoed'
		  AND d.status IN ('queued', 'deferred') AND (d.lease_until IS NULL OR d.lease_until < $2)`,
		r.ID, now); err != nil {
		return fmt.Errorf("cancel embargoed notices of release %d: %w", r.ID, err)
	}
	if err := dispatch(ctx, tx, r, "public", 0, events.SubjectLifted, "release.lifted", now, followUp{}); err != nil {
		return err
	}
	return audit(ctx, tx, actor, action, r.ID, map[string]any{"embargo_until": r.EmbargoUntil, "lifted_at": now})
}

// Postpone moves an embargo to until; those who got the embargoed notice
// are told of the new time.
func (l *Lifecycle) Postpone(ctx context.Context, id int64, until time.Time, actor string) error {
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != StatusEmbargoed {
			return communique.Errorf(communique.ECONFLICT, "release %d is %s, not embargoed: there is no embargo to postpone", id, r.Status)
		}
		now := l.now()
		until = until.UTC().Truncate(time.Second)
		if !until.After(now) {
			return communique.Invalid("invalid embargo", []string{fmt.Sprintf("embargo_until: %s is not in the future; lift the embargo instead", until.Format(time.RFC3339))})
		}
		previous := r.EmbargoUntil
		r.Revision++
		if _, err := tx.ExecContext(ctx, `
			UPDATE releases SET embargo_until = $2, revision = $3, updated_at = $4 WHERE id = $1`,
			id, until, r.Revision, now); err != nil {
			return fmt.Errorf("postpone release %d: %w", id, err)
		}
		r.EmbargoUntil = &until
		if err := dispatch(ctx, tx, r, "embargo_changed", r.Revision, events.SubjectPostponed, "release.postponed", now, followUp{}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "postpone", id, map[string]any{"from": previous, "to": until})
	})
}

// Recall withdraws an embargoed or published release: sends not yet made
// stop, and everyone who received any version gets a "please disregard"
// notice, which gives reason when there is one; nobody else hears of it.
func (l *Lifecycle) Recall(ctx context.Context, id int64, reason, actor string) error {
	reason = strings.TrimSpace(reason)
	if len(reason) > maxNote {
		return communique.Invalid("invalid recall", []string{fmt.Sprintf("reason: longer than %d bytes", maxNote)})
	}
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != StatusEmbargoed && r.Status != StatusPublished {
			return communique.Errorf(communique.ECONFLICT, "release %d is %s: only an embargoed or published release can be recalled", id, r.Status)
		}
		now := l.now()
		if _, err := tx.ExecContext(ctx, `
			UPDATE releases SET status = 'recalled', recalled_at = $2, updated_at = $2 WHERE id = $1`, id, now); err != nil {
			return fmt.Errorf("recall release %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE deliveries d SET status = 'cancelled', lease_until = NULL, next_attempt_at = NULL,
				smtp_reply = 'release recalled before sending'
			FROM dispatches s
			WHERE s.id = d.dispatch_id AND s.release_id = $1 AND d.status IN ('queued', 'deferred')
			  AND (d.lease_until IS NULL OR d.lease_until < $2)`, id, now); err != nil {
			return fmt.Errorf("stop sends of release %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE dispatches SET status = 'done' WHERE release_id = $1 AND status = 'pending'`, id); err != nil {
			return fmt.Errorf("stop planning of release %d: %w", id, err)
		}
		if err := dispatch(ctx, tx, r, "recall", 0, events.SubjectRecalled, "release.recalled", now, followUp{reason: reason}); err != nil {
			return err
		}
		details := map[string]any{"status_before": r.Status}
		if reason != "" {
			details["reason"] = reason
		}
		return audit(ctx, tx, actor, "recall", id, details)
	})
}

// followUp is what a correction or a recall tells its readers beyond the
// release itself.
type followUp struct {
	// languages limits a correction to the readers of these languages;
	// nil sends to every reader.
	languages []string
	notes     map[string]string // per language, for a correction
	reason    string            // for a recall
}

// dispatch records a dispatch of the release and the event that starts it.
func dispatch(ctx context.Context, tx *sqlx.Tx, r *locked, variant string, revision int, subject, typ string, now time.Time, f followUp) error {
	notes := []byte("{}")
	if len(f.notes) > 0 {
		var err error
		if notes, err = json.Marshal(f.notes); err != nil {
			return fmt.Errorf("notes of release %d: %w", r.ID, err)
		}
	}
	var languages any // NULL unless limited
	if f.languages != nil {
		languages = pq.Array(f.languages)
	}
	var dispatchID int64
	if err := tx.GetContext(ctx, &dispatchID, `
		INSERT INTO dispatches (release_id, variant, revision, created_at, languages, notes, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.ID, variant, revision, now, languages, notes, f.reason); err != nil {
		return fmt.Errorf("create %s dispatch of release %d: %w", variant, r.ID, err)
	}
	ev := events.Event{Type: typ, Version: events.Version, ReleaseID: r.ID, Slug: r.Slug,
		Timestamp: now, DispatchID: dispatchID, Variant: variant}
	if r.EmbargoUntil != nil {
		t := r.EmbargoUntil.UTC()
		ev.EmbargoUntil = &t
	}
	return outbox.Add(ctx, tx, subject, fmt.Sprintf("release.%d.%s.%d", r.ID, variant, revision), ev)
}

// audit records who did what to which release.
func audit(ctx context.Context, tx *sqlx.Tx, actor, action string, releaseID int64, details map[string]any) error {
	return RecordAudit(ctx, tx, actor, action, releaseID, details)
}

// RecordAudit adds an entry to the audit log; releaseID 0 is a change to
// no particular release (a template, say).
func RecordAudit(ctx context.Context, db sqlx.ExecerContext, actor, action string, releaseID int64, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	var rel *int64
	if releaseID != 0 {
		rel = &releaseID
	}
	// The client address rides on the context from the HTTP edge.
	a, _ := communique.ActorFrom(ctx)
	if _, err := db.ExecContext(ctx, `
		INSERT INTO audit_log (actor, action, release_id, details, client) VALUES ($1, $2, $3, $4, $5)`,
		actor, action, rel, b, a.Client); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
