package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/events"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/templates"
)

// plan handles a release event: it records the dispatch's deliveries and
// queues them in batches. Every step is idempotent, so a redelivered event
// (or one planned by two processes) adds no delivery and no send.
func (d *Dispatcher) plan(ctx context.Context, msg jetstream.Msg) {
	var ev events.Event
	if err := json.Unmarshal(msg.Data(), &ev); err != nil || ev.DispatchID == 0 {
		d.log.Error("dropping malformed release event", "subject", msg.Subject(), "error", err)
		msg.Term()
		return
	}
	log := d.log.With("release_id", ev.ReleaseID, "dispatch_id", ev.DispatchID)
	start := time.Now()
	n, batches, err := d.planDispatch(ctx, ev.DispatchID)
	if err != nil {
		log.Error("planning failed, will retry", "error", err)
		msg.NakWithDelay(2 * time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		log.Warn("ack release event", "error", err)
	}
	if batches > 0 {
		log.Info("dispatch planned", "deliveries", n, "batches", batches, "took_ms", time.Since(start).Milliseconds())
	}
}

func (d *Dispatcher) planDispatch(ctx context.Context, dispatchID int64) (added int64, batches int, err error) {
	var disp struct {
		ReleaseID int64  `db:"release_id"`
		Variant   string `db:"variant"`
		Status    string `db:"status"`
		Original  string `db:"original_language"`
	}
	if err := d.cfg.DB.GetContext(ctx, &disp, `
		SELECT s.release_id, s.variant, s.status, r.original_language
		FROM dispatches s JOIN releases r ON r.id = s.release_id WHERE s.id = $1`, dispatchID); err != nil {
		return 0, 0, fmt.Errorf("load dispatch %d: %w", dispatchID, err)
	}
	if disp.Status != "pending" {
		return 0, 0, nil
	}
	var langs []string
	if err := d.cfg.DB.SelectContext(ctx, &langs, `SELECT language FROM release_translations WHERE release_id = $1 ORDER BY language`, disp.ReleaseID); err != nil {
		return 0, 0, fmt.Errorf("load languages: %w", err)
	}
	err = postgres.Tx(ctx, d.cfg.DB, func(tx *sqlx.Tx) error {
		var err error
		switch disp.Variant {
		case "public":
			added, err = contacts.InsertPublicAudience(ctx, tx, dispatchID, disp.ReleaseID, func(prefs []string) string {
				return templates.MatchLanguage(prefs, langs, disp.Original)
			})
		default:
			err = fmt.Errorf("dispatch %d: variant %q is not supported", dispatchID, disp.Variant)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	batches, err = d.queueBatches(ctx, dispatchID, "")
	if err != nil {
		return added, 0, err
	}
	if _, err := d.cfg.DB.ExecContext(ctx, `
		UPDATE dispatches SET status = 'planned', planned_at = now() WHERE id = $1 AND status = 'pending'`, dispatchID); err != nil {
		return added, batches, fmt.Errorf("mark dispatch %d planned: %w", dispatchID, err)
	}
	d.markDoneIfFinished(ctx, dispatchID)
	return added, batches, nil
}

// queueBatches publishes the dispatch's queued deliveries as id ranges of at
// most BatchSize rows. The message id makes a republished range a no-op
// within the stream's duplicate window; outside it, leases keep a range
// from being sent twice. nonce distinguishes deliberate re-queues (retries).
func (d *Dispatcher) queueBatches(ctx context.Context, dispatchID int64, nonce string) (int, error) {
	var ranges []events.Batch
	if err := d.cfg.DB.SelectContext(ctx, &ranges, `
		SELECT $1::bigint AS dispatch_id, min(id) AS first_id, max(id) AS last_id
		FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / $2 AS g
		      FROM deliveries WHERE dispatch_id = $1 AND status = 'queued') q
		GROUP BY g ORDER BY g`, dispatchID, d.cfg.BatchSize); err != nil {
		return 0, fmt.Errorf("batch dispatch %d: %w", dispatchID, err)
	}
	return len(ranges), d.publishBatches(ctx, ranges, nonce)
}

func (d *Dispatcher) publishBatches(ctx context.Context, ranges []events.Batch, nonce string) error {
	futures := make([]jetstream.PubAckFuture, 0, len(ranges))
	for _, b := range ranges {
		data, _ := json.Marshal(b)
		f, err := d.cfg.JS.PublishAsync(events.SubjectBatch, data, jetstream.WithMsgID(b.MsgID()+nonce))
		if err != nil {
			return fmt.Errorf("queue batch %s: %w", b.MsgID(), err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("queue batch: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
			return fmt.Errorf("queue batch: no acknowledgement from JetStream")
		}
	}
	return nil
}

// markDoneIfFinished closes a planned dispatch that has nothing left to send.
func (d *Dispatcher) markDoneIfFinished(ctx context.Context, dispatchID int64) {
	if _, err := d.cfg.DB.ExecContext(ctx, `
		UPDATE dispatches SET status = 'done'
		WHERE id = $1 AND status = 'planned'
		  AND NOT EXISTS (SELECT 1 FROM deliveries WHERE dispatch_id = $1 AND status IN ('queued', 'deferred'))`,
		dispatchID); err != nil && ctx.Err() == nil {
		d.log.Warn("mark dispatch done", "dispatch_id", dispatchID, "error", err)
	}
}
