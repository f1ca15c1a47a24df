package releases

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/postgres"
)

// Progress is where a release's sending stands: its status, its embargo,
// and each of its dispatches (the embargoed notice, the public version,
// corrections, recalls, embargo changes) in the order they were made.
type Progress struct {
	Status       string
	EmbargoUntil *time.Time
	Dispatches   []DispatchProgress
}

// DispatchProgress counts one dispatch's deliveries.
type DispatchProgress struct {
	Variant  string
	Revision int
	// Done is set once the dispatch is planned and has nothing left to
	// send.
	Done bool
	Report
}

// finish sets Done from the dispatch's status and deliveries: once its
// audience is recorded, it is done when nothing waits to be sent, since
// a lift or a recall can end its sends without its record saying so.
func (d *DispatchProgress) finish(status string) {
	d.Done = status == "done" || status == "planned" && d.ByStatus["queued"]+d.ByStatus["deferred"] == 0
}

// Finished reports whether nothing more will be sent for the release
// unless someone changes it: it is out (published or recalled, so any
// embargo has lifted), and every dispatch is done.
func (p *Progress) Finished() bool {
	if p.Status != StatusPublished && p.Status != StatusRecalled {
		return false
	}
	for _, d := range p.Dispatches {
		if !d.Done {
			return false
		}
	}
	return len(p.Dispatches) > 0
}

// GetProgress returns release id's progress in two queries over one
// snapshot: a lift, which changes the release and starts its public
// dispatch in one transaction, is seen whole or not at all, and a watch
// never shows the public version before the embargo has lifted.
func GetProgress(ctx context.Context, db *sqlx.DB, id int64) (*Progress, error) {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("progress of release %d: %w", id, err)
	}
	defer tx.Rollback()
	p := &Progress{}
	err = tx.QueryRowxContext(ctx, `SELECT status, embargo_until FROM releases WHERE id = $1`, id).Scan(&p.Status, &p.EmbargoUntil)
	if postgres.IsNoRows(err) {
		return nil, mustExist(ctx, tx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("progress of release %d: %w", id, err)
	}
	var rows []struct {
		ID       int64   `db:"id"`
		Variant  string  `db:"variant"`
		Revision int     `db:"revision"`
		Status   string  `db:"status"`
		Delivery *string `db:"delivery_status"`
		Language *string `db:"language"`
		N        int     `db:"n"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		SELECT s.id, s.variant, s.revision, s.status, d.status AS delivery_status, d.language, count(d.id) AS n
		FROM dispatches s LEFT JOIN deliveries d ON d.dispatch_id = s.id
		WHERE s.release_id = $1
		GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY s.id`, id); err != nil {
		return nil, fmt.Errorf("progress of release %d: %w", id, err)
	}
	var last int64
	var statuses []string
	for _, r := range rows {
		if r.ID != last {
			last = r.ID
			statuses = append(statuses, r.Status)
			p.Dispatches = append(p.Dispatches, DispatchProgress{Variant: r.Variant, Revision: r.Revision,
				Report: Report{ByStatus: map[string]int{}, ByLanguage: map[string]int{}, ByVariant: map[string]int{}}})
		}
		if r.Delivery == nil { // a dispatch with no delivery yet
			continue
		}
		d := &p.Dispatches[len(p.Dispatches)-1]
		d.Total += r.N
		d.ByStatus[*r.Delivery] += r.N
		d.ByLanguage[*r.Language] += r.N
		d.ByVariant[r.Variant] += r.N
	}
	for i := range p.Dispatches {
		p.Dispatches[i].finish(statuses[i])
	}
	return p, nil
}
