package dispatcher

import (
	"context"
	"fmt"
	"time"

	"github.com/communique/communique/events"
)

// retryLoop puts deferred deliveries whose time has come back on the queue,
// signals the workers when single messages are due,
// and re-queues deliveries left queued with no live lease for a while (their
// batch message was lost with a process that died between two steps).
func (d *Dispatcher) retryLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if f := d.tickHook.Load(); f != nil {
			(*f)()
		}
		if err := d.requeueDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("retry scheduler", "error", err)
		}
		if err := d.checkMessages(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("message check", "error", err)
		}
		if tick%60 == 0 {
			if err := d.requeueOrphans(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("orphan sweep", "error", err)
			}
			if err := d.closeFinished(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("close finished dispatches", "error", err)
			}
		}
	}
}

// orphanAge is how long a planned dispatch with queued deliveries may go
// without sending anything before their batches are presumed lost. A
// dispatch that sends, however slowly (under a rate limit, say), is moving
// through its queue and is left alone. Re-queuing a batch that was not
// lost costs a message and nothing more: leases prevent a second send.
const orphanAge = 5 * time.Minute

func (d *Dispatcher) requeueOrphans(ctx context.Context) error {
	var ranges []events.Batch
	err := d.cfg.DB.SelectContext(ctx, &ranges, `
		SELECT s.id AS dispatch_id, min(o.id) AS first_id, max(o.id) AS last_id
		FROM dispatches s CROSS JOIN LATERAL (
			-- Per dispatch: no index knows which deliveries are queued,
			-- and a join would scan them all, sent or not.
			SELECT d.id, (row_number() OVER (ORDER BY d.id) - 1) / $1 AS g
			FROM deliveries d
			WHERE d.dispatch_id = s.id AND d.status = 'queued' AND (d.lease_until IS NULL OR d.lease_until < now())) o
		WHERE s.status = 'planned' AND coalesce(s.last_progress_at, s.planned_at) < now() - $2 * interval '1 millisecond'
		GROUP BY s.id, o.g`, d.cfg.BatchSize, orphanAge.Milliseconds())
	if err != nil {
		return fmt.Errorf("find orphaned deliveries: %w", err)
	}
	if len(ranges) == 0 {
		return nil
	}
	d.log.Info("re-queuing deliveries whose batch was lost", "batches", len(ranges))
	return d.publishBatches(ctx, ranges, fmt.Sprintf(".sweep.%d", time.Now().UnixNano()))
}

func (d *Dispatcher) requeueDue(ctx context.Context) error {
	var ranges []events.Batch
	// One statement moves due rows back to queued and returns their ranges;
	// SKIP LOCKED lets several dispatchers share the work. next_attempt_at
	// stays until the retry is recorded: it is how the finished check
	// finds a retry under way (see doneSQL).
	err := d.cfg.DB.SelectContext(ctx, &ranges, `
		WITH due AS (
			SELECT id FROM deliveries
			WHERE next_attempt_at <= now() AND status = 'deferred'
			ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED),
		moved AS (
			UPDATE deliveries d SET status = 'queued'
			FROM due WHERE d.id = due.id
			RETURNING d.id, d.dispatch_id)
		SELECT dispatch_id, min(id) AS first_id, max(id) AS last_id
		FROM (SELECT id, dispatch_id, (row_number() OVER (PARTITION BY dispatch_id ORDER BY id) - 1) / $1 AS g FROM moved) m
		GROUP BY dispatch_id, g`, d.cfg.BatchSize)
	if err != nil {
		return fmt.Errorf("requeue deferred deliveries: %w", err)
	}
	if len(ranges) == 0 {
		return nil
	}
	d.log.Info("retrying deferred deliveries", "batches", len(ranges))
	return d.publishBatches(ctx, ranges, fmt.Sprintf(".retry.%d", time.Now().UnixNano()))
}
