package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/events"
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
	n, err := d.planDispatch(ctx, log, msg, ev.DispatchID)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("planning failed, will retry", "error", err)
		}
		msg.NakWithDelay(2 * time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		log.Warn("ack release event", "error", err)
	}
	if n > 0 {
		log.Info("dispatch planned", "deliveries", n, "took_ms", time.Since(start).Milliseconds())
	}
}

// Planning chunks, in contact ids: the first is small so the first
// messages leave at once, the others large so planning costs few
// statements.
const (
	firstChunk = 2_000
	chunkSpan  = 25_000
)

// planDispatch records the audience chunk by chunk and queues each chunk's
// batches as soon as it is recorded. It keeps at most Window deliveries of
// the dispatch waiting, so that releases published together share the
// work queue instead of queueing behind each other.
func (d *Dispatcher) planDispatch(ctx context.Context, log *slog.Logger, msg jetstream.Msg, dispatchID int64) (int64, error) {
	var disp struct {
		ReleaseID int64  `db:"release_id"`
		Variant   string `db:"variant"`
		Status    string `db:"status"`
		Through   int64  `db:"planned_through"`
		Original  string `db:"original_language"`
	}
	if err := d.cfg.DB.GetContext(ctx, &disp, `
		SELECT s.release_id, s.variant, s.status, s.planned_through, r.original_language
		FROM dispatches s JOIN releases r ON r.id = s.release_id WHERE s.id = $1`, dispatchID); err != nil {
		return 0, fmt.Errorf("load dispatch %d: %w", dispatchID, err)
	}
	if disp.Status != "pending" {
		return 0, nil
	}
	if disp.Variant != "public" {
		return 0, fmt.Errorf("dispatch %d: variant %q is not supported", dispatchID, disp.Variant)
	}
	var langs []string
	if err := d.cfg.DB.SelectContext(ctx, &langs, `SELECT language FROM release_translations WHERE release_id = $1 ORDER BY language`, disp.ReleaseID); err != nil {
		return 0, fmt.Errorf("load languages: %w", err)
	}
	lm, err := contacts.NewLanguageMap(ctx, d.cfg.DB, func(prefs []string) string {
		return templates.MatchLanguage(prefs, langs, disp.Original)
	})
	if err != nil {
		return 0, err
	}
	maxID, err := contacts.MaxContactID(ctx, d.cfg.DB)
	if err != nil {
		return 0, err
	}
	// Deliveries recorded before a takeover may not have been queued.
	if disp.Through > 0 {
		if err := d.queueBatches(ctx, dispatchID, 0); err != nil {
			return 0, err
		}
	}
	var added int64
	lastQueued := int64(0)
	span := int64(firstChunk)
	for from := disp.Through + 1; from <= maxID; from, span = from+span, chunkSpan {
		to := min(from+span-1, maxID)
		if err := d.waitForRoom(ctx, msg, dispatchID); err != nil {
			return added, err
		}
		n, err := contacts.InsertPublicAudienceRange(ctx, d.cfg.DB, dispatchID, disp.ReleaseID, lm, disp.Original, from, to)
		if err != nil {
			return added, err
		}
		added += n
		if n > 0 {
			if lastQueued, err = d.queueNew(ctx, dispatchID, lastQueued); err != nil {
				return added, err
			}
		}
		if _, err := d.cfg.DB.ExecContext(ctx, `UPDATE dispatches SET planned_through = $2 WHERE id = $1`, dispatchID, to); err != nil {
			return added, fmt.Errorf("record planning progress: %w", err)
		}
		msg.InProgress()
	}
	if _, err := d.cfg.DB.ExecContext(ctx, `
		UPDATE dispatches SET status = 'planned', planned_at = now() WHERE id = $1 AND status = 'pending'`, dispatchID); err != nil {
		return added, fmt.Errorf("mark dispatch %d planned: %w", dispatchID, err)
	}
	d.markDoneIfFinished(ctx, dispatchID)
	return added, nil
}

// waitForRoom blocks while the dispatch has Window deliveries or more
// waiting to be sent, telling JetStream the event is still being worked on.
func (d *Dispatcher) waitForRoom(ctx context.Context, msg jetstream.Msg, dispatchID int64) error {
	last := time.Now()
	for {
		var waiting int
		if err := d.cfg.DB.GetContext(ctx, &waiting, `
			SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE dispatch_id = $1 AND status = 'queued' LIMIT $2) q`,
			dispatchID, d.cfg.Window); err != nil {
			return fmt.Errorf("count waiting deliveries: %w", err)
		}
		if waiting < d.cfg.Window {
			return nil
		}
		if time.Since(last) > 5*time.Second {
			msg.InProgress()
			last = time.Now()
		}
		sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// queueNew queues the dispatch's queued deliveries with ids above after,
// returning the highest id queued.
func (d *Dispatcher) queueNew(ctx context.Context, dispatchID, after int64) (int64, error) {
	ranges, err := d.ranges(ctx, dispatchID, after)
	if err != nil {
		return after, err
	}
	if err := d.publishBatches(ctx, ranges, ""); err != nil {
		return after, err
	}
	if len(ranges) > 0 {
		after = ranges[len(ranges)-1].LastID
	}
	return after, nil
}

// queueBatches queues all the dispatch's queued deliveries above after.
func (d *Dispatcher) queueBatches(ctx context.Context, dispatchID, after int64) error {
	_, err := d.queueNew(ctx, dispatchID, after)
	return err
}

// ranges splits the dispatch's queued deliveries above after into id
// ranges of at most BatchSize rows.
func (d *Dispatcher) ranges(ctx context.Context, dispatchID, after int64) ([]events.Batch, error) {
	var ranges []events.Batch
	if err := d.cfg.DB.SelectContext(ctx, &ranges, `
		SELECT $1::bigint AS dispatch_id, min(id) AS first_id, max(id) AS last_id
		FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / $2 AS g
		      FROM deliveries WHERE dispatch_id = $1 AND status = 'queued' AND id > $3) q
		GROUP BY g ORDER BY g`, dispatchID, d.cfg.BatchSize, after); err != nil {
		return nil, fmt.Errorf("batch dispatch %d: %w", dispatchID, err)
	}
	return ranges, nil
}

// publishBatches queues ranges on the work stream. The message id makes a
// republished range a no-op within the stream's duplicate window; outside
// it, leases keep a range from being sent twice. nonce distinguishes
// deliberate re-queues (retries, sweeps).
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
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("queue batch: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
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
