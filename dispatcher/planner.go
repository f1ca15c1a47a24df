package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
	if err := json.Unmarshal(msg.Data(), &ev); err != nil {
		d.log.Error("dropping malformed release event", "subject", msg.Subject(), "error", err)
		msg.Term()
		return
	}
	if ev.DispatchID == 0 { // an event that sends nothing
		msg.Ack()
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
	d.cfg.Metrics.Planned(n)
	if n > 0 {
		log.Info("dispatch planned", "deliveries", n, "took_ms", time.Since(start).Milliseconds())
	}
}

// Planning chunks, in contact ids: the first is small so the first
// messages leave at once (with 2,000 the first message took about 100 ms
// on a slow machine, with 500 under 60), the others large so planning
// costs few statements. Each is at most eight times the one before
// (500, 4,000, 25,000): a chunk of 25,000 right after the first took
// about 300 ms to record, while the first chunk's messages were gone in
// 50, and the workers had nothing to send for 200 ms or more.
const (
	firstChunk = 500
	chunkSpan  = 25_000
)

// planDispatch records the audience chunk by chunk and queues each chunk's
// batches as soon as it is recorded. It keeps at most Window deliveries of
// the dispatch waiting, so that releases published together share the
// work queue instead of queueing behind each other.
func (d *Dispatcher) planDispatch(ctx context.Context, log *slog.Logger, msg jetstream.Msg, dispatchID int64) (int64, error) {
	var disp struct {
		ReleaseID     int64  `db:"release_id"`
		Variant       string `db:"variant"`
		Status        string `db:"status"`
		Through       int64  `db:"planned_through"`
		Original      string `db:"original_language"`
		ReleaseStatus string `db:"release_status"`
	}
	if err := d.cfg.DB.GetContext(ctx, &disp, `
		SELECT s.release_id, s.variant, s.status, s.planned_through, r.original_language, r.status AS release_status
		FROM dispatches s JOIN releases r ON r.id = s.release_id WHERE s.id = $1`, dispatchID); err != nil {
		return 0, fmt.Errorf("load dispatch %d: %w", dispatchID, err)
	}
	if disp.Status != "pending" {
		return 0, nil
	}
	if disp.ReleaseStatus == "recalled" && disp.Variant != "recall" {
		return 0, d.finishPlanning(ctx, dispatchID)
	}
	d.prerender(ctx, dispatchID)
	var langs []string
	if err := d.cfg.DB.SelectContext(ctx, &langs, `SELECT language FROM release_translations WHERE release_id = $1 ORDER BY language`, disp.ReleaseID); err != nil {
		return 0, fmt.Errorf("load languages: %w", err)
	}
	choose := func(prefs []string) string { return templates.MatchLanguage(prefs, langs, disp.Original) }

	var added int64
	var err error
	switch disp.Variant {
	case "public":
		added, err = d.planPublic(ctx, msg, dispatchID, disp.ReleaseID, disp.Through, disp.Original, choose)
	case "embargoed":
		err = postgres.Tx(ctx, d.cfg.DB, func(tx *sqlx.Tx) (err error) {
			added, err = contacts.InsertEmbargoAudience(ctx, tx, dispatchID, disp.ReleaseID, choose)
			return err
		})
	case "correction", "recall", "embargo_changed":
		// Chunks on their way when the change was made count as received.
		if err = d.settle(ctx, msg, disp.ReleaseID, dispatchID, ""); err == nil {
			added, err = d.insertReceivers(ctx, dispatchID, disp.ReleaseID, disp.Variant)
		}
	default:
		err = fmt.Errorf("dispatch %d: variant %q is not supported", dispatchID, disp.Variant)
	}
	if err != nil {
		return added, err
	}
	if disp.Variant != "public" { // the public planner queues as it goes
		if err := d.queueAll(ctx, dispatchID); err != nil {
			return added, err
		}
	}
	return added, d.finishPlanning(ctx, dispatchID)
}

func (d *Dispatcher) finishPlanning(ctx context.Context, dispatchID int64) error {
	if _, err := d.cfg.DB.ExecContext(ctx, `
		UPDATE dispatches SET status = 'planned', planned_at = now() WHERE id = $1 AND status = 'pending'`, dispatchID); err != nil {
		return fmt.Errorf("mark dispatch %d planned: %w", dispatchID, err)
	}
	d.markDoneIfFinished(ctx, dispatchID)
	return nil
}

// planPublic records the public audience chunk by chunk. Each contact gets
// a release once, as the earliest version they are entitled to: whoever
// received the embargoed notice is left out, and whoever was owed the
// notice but did not get it before the lift is added.
func (d *Dispatcher) planPublic(ctx context.Context, msg jetstream.Msg, dispatchID, releaseID, through int64, original string, choose contacts.LanguageChooser) (int64, error) {
	// choose runs once per distinct preference list of the whole release.
	chosen := map[string]string{}
	choose = memoize(choose, chosen)
	maxID, err := contacts.MaxContactID(ctx, d.cfg.DB)
	if err != nil {
		return 0, err
	}
	if err := d.settleEmbargoed(ctx, msg, releaseID); err != nil {
		return 0, err
	}
	added, err := d.insertEmbargoRemainder(ctx, dispatchID, releaseID)
	if err != nil {
		return 0, err
	}
	// Settled, the notices sent are all there will be. Most releases had
	// none, and leaving their recipients out of each chunk cost 17 to 37
	// ms a chunk at 1,000,000 recipients for nothing.
	var notified bool
	if err := d.cfg.DB.GetContext(ctx, &notified, `
		SELECT EXISTS (SELECT 1 FROM deliveries e JOIN dispatches es ON es.id = e.dispatch_id
		               WHERE es.release_id = $1 AND es.variant = 'embargoed' AND e.status = 'sent')`, releaseID); err != nil {
		return 0, fmt.Errorf("embargoed notices sent: %w", err)
	}
	// Deliveries recorded before a takeover may not have been queued;
	// requeuing those that were costs messages, not sends.
	var queued fed
	if err := d.feed(ctx, msg, dispatchID, &queued); err != nil {
		return added, err
	}
	span := int64(firstChunk)
	for from := through + 1; from <= maxID; from, span = from+span, min(8*span, chunkSpan) {
		to := min(from+span-1, maxID)
		var n int64
		err := postgres.Tx(ctx, d.cfg.DB, func(tx *sqlx.Tx) error {
			lm, err := contacts.NewLanguageMapRange(ctx, tx, choose, from, to)
			if err != nil {
				return err
			}
			if n, err = contacts.InsertPublicAudienceRange(ctx, tx, dispatchID, releaseID, lm, original, from, to); err != nil {
				return err
			}
			if n > 0 && notified {
				res, err := tx.ExecContext(ctx, `
					DELETE FROM deliveries p USING deliveries e, dispatches es
					WHERE p.dispatch_id = $1 AND p.contact_id BETWEEN $3 AND $4
					  AND es.release_id = $2 AND es.variant = 'embargoed'
					  AND e.dispatch_id = es.id AND e.contact_id = p.contact_id AND e.status = 'sent'`,
					dispatchID, releaseID, from, to)
				if err != nil {
					return fmt.Errorf("leave out who had the embargoed notice: %w", err)
				}
				gone, _ := res.RowsAffected()
				n -= gone
			}
			_, err = tx.ExecContext(ctx, `UPDATE dispatches SET planned_through = $2 WHERE id = $1`, dispatchID, to)
			return err
		})
		if err != nil {
			return added, err
		}
		added += n
		// Fed even when this planner added nothing: another one, working
		// on the same event after a redelivery, may have recorded the
		// chunk and then failed to queue it (the work stream between two
		// leaders). Batches queued twice cost messages, not sends.
		if err := d.feed(ctx, msg, dispatchID, &queued); err != nil {
			return added, err
		}
		msg.InProgress()
	}
	return added, nil
}

// memoize remembers choose's answers in seen.
func memoize(choose contacts.LanguageChooser, seen map[string]string) contacts.LanguageChooser {
	return func(prefs []string) string {
		key := strings.Join(prefs, ",")
		if lang, ok := seen[key]; ok {
			return lang
		}
		lang := choose(prefs)
		seen[key] = lang
		return lang
	}
}

// settleEmbargoed waits until no embargoed notice of the release is being
// sent, so that who got one is known before the public audience is drawn,
// then cancels the notices still waiting: they will never go out as
// embargoed. Workers stop sending a notice a second before the lift, so
// this is short; a dead worker's lease bounds it.
func (d *Dispatcher) settleEmbargoed(ctx context.Context, msg jetstream.Msg, releaseID int64) error {
	if err := d.settle(ctx, msg, releaseID, 0, "embargoed"); err != nil {
		return err
	}
	_, err := d.cfg.DB.ExecContext(ctx, `
		UPDATE deliveries e SET status = 'cancelled', next_attempt_at = NULL, smtp_reply = 'embargo lifted before sending'
		FROM dispatches es
		WHERE es.id = e.dispatch_id AND es.release_id = $1 AND es.variant = 'embargoed'
		  AND e.status IN ('queued', 'deferred')`, releaseID)
	return err
}

// settle waits until no dispatch of the release but except (of the given
// variant, or any when empty) has a chunk on its way, so that who received
// what is known.
func (d *Dispatcher) settle(ctx context.Context, msg jetstream.Msg, releaseID, except int64, variant string) error {
	last := time.Now()
	for {
		var held int
		if err := d.cfg.DB.GetContext(ctx, &held, `
			SELECT count(*) FROM deliveries e JOIN dispatches es ON es.id = e.dispatch_id
			WHERE es.release_id = $1 AND es.id <> $2 AND ($3 = '' OR es.variant = $3)
			  AND e.status IN ('queued', 'deferred') AND e.lease_until > now()`, releaseID, except, variant); err != nil {
			return fmt.Errorf("deliveries in flight: %w", err)
		}
		if held == 0 {
			return nil
		}
		if time.Since(last) > 2*time.Second {
			msg.InProgress()
			last = time.Now()
		}
		sleep(ctx, 50*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// insertEmbargoRemainder adds to the public dispatch those the embargo
// audience owed the release who did not get the notice before the lift.
func (d *Dispatcher) insertEmbargoRemainder(ctx context.Context, dispatchID, releaseID int64) (int64, error) {
	res, err := d.cfg.DB.ExecContext(ctx, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT $1, e.contact_id, e.email, e.language, 'queued'
		FROM deliveries e JOIN dispatches es ON es.id = e.dispatch_id
		JOIN contacts c ON c.id = e.contact_id AND c.status = 'active'
		WHERE es.release_id = $2 AND es.variant = 'embargoed' AND e.status IN ('cancelled', 'failed')
		ORDER BY e.contact_id
		ON CONFLICT (dispatch_id, contact_id) DO NOTHING`, dispatchID, releaseID)
	if err != nil {
		return 0, fmt.Errorf("embargo audience left without the notice: %w", err)
	}
	return res.RowsAffected()
}

// insertReceivers records the follow-up of a release (correction, recall,
// embargo change) for those who received it, in the language they read:
// for an embargo change, those who got the embargoed notice; for a recall,
// anyone who got any version; for a correction, anyone who got the
// release itself in one of the languages it corrects (the dispatch's
// languages, when set).
func (d *Dispatcher) insertReceivers(ctx context.Context, dispatchID, releaseID int64, variant string) (int64, error) {
	sources := map[string][]string{
		"embargo_changed": {"embargoed"},
		"recall":          {"embargoed", "public", "correction", "embargo_changed"},
		"correction":      {"embargoed", "public", "correction"},
	}[variant]
	res, err := d.cfg.DB.ExecContext(ctx, `
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT DISTINCT ON (d.contact_id) $1, d.contact_id, d.email, d.language,
			CASE WHEN sp.email IS NULL THEN 'queued' ELSE 'suppressed' END
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		LEFT JOIN suppressions sp ON sp.email = lower(d.email)
		JOIN dispatches f ON f.id = $1
		WHERE s.release_id = $2 AND s.variant = ANY ($3) AND d.status = 'sent'
		  AND (f.languages IS NULL OR d.language = ANY (f.languages))
		ORDER BY d.contact_id, d.id DESC
		ON CONFLICT (dispatch_id, contact_id) DO NOTHING`, dispatchID, releaseID, pq.Array(sources))
	if err != nil {
		return 0, fmt.Errorf("receivers of release %d: %w", releaseID, err)
	}
	return res.RowsAffected()
}

// fed is what a planner has queued of a dispatch: its deliveries up to
// last, and the last delivery of each batch that may still wait.
type fed struct {
	last    int64
	waiting []int64
}

// feed queues the dispatch's recorded deliveries above f.last, a batch at
// a time, pausing while Window of its deliveries wait in the queue: so a
// large release never fills the queue, and releases published together
// take turns in it.
func (d *Dispatcher) feed(ctx context.Context, msg jetstream.Msg, dispatchID int64, f *fed) error {
	ranges, err := d.ranges(ctx, dispatchID, f.last)
	if err != nil {
		return err
	}
	for len(ranges) > 0 {
		room, err := d.waitForRoom(ctx, msg, f)
		if err != nil {
			return err
		}
		// As many batches as there is room for go in one publish, so the
		// queue is looked at once per refill rather than once per batch.
		n := min(max(room/d.cfg.BatchSize, 1), len(ranges))
		if err := d.publishBatches(ctx, ranges[:n], ""); err != nil {
			return err
		}
		for _, r := range ranges[:n] {
			f.waiting = append(f.waiting, r.LastID)
		}
		f.last = ranges[n-1].LastID
		ranges = ranges[n:]
		if len(ranges) > 0 {
			// The window was just filled: looking again at once would
			// find it full.
			sleep(ctx, 100*time.Millisecond)
		}
	}
	return nil
}

// waitForRoom blocks while Window or more of the dispatch's deliveries
// wait in the queue, telling JetStream the event is still being worked
// on; it returns how many more may be queued. It looks ten times a second
// at the last delivery of each batch queued: a worker sends a batch in id
// order, so a batch whose last delivery is queued still waits, whole or in
// part. Counting the deliveries themselves read ten thousand rows each
// time: at a million, a seventh of the time the server spent on the
// dispatch's statements (pg_stat_statements). A batch whose last
// delivery was deferred is no longer counted: the window is a pace, not a
// limit.
func (d *Dispatcher) waitForRoom(ctx context.Context, msg jetstream.Msg, f *fed) (int, error) {
	last := time.Now()
	for {
		if len(f.waiting) > 0 {
			var still []int64
			if err := d.cfg.DB.SelectContext(ctx, &still, `
				SELECT id FROM deliveries WHERE id = ANY ($1) AND status = 'queued' ORDER BY id`,
				pq.Array(f.waiting)); err != nil {
				return 0, fmt.Errorf("batches still waiting: %w", err)
			}
			f.waiting = still
		}
		if n := len(f.waiting) * d.cfg.BatchSize; n < d.cfg.Window {
			return d.cfg.Window - n, nil
		}
		if time.Since(last) > 2*time.Second {
			msg.InProgress()
			last = time.Now()
		}
		sleep(ctx, 100*time.Millisecond)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
}

// queueAll queues all the dispatch's queued deliveries at once: for the
// small audiences of notices, corrections and recalls.
func (d *Dispatcher) queueAll(ctx context.Context, dispatchID int64) error {
	ranges, err := d.ranges(ctx, dispatchID, 0)
	if err != nil {
		return err
	}
	return d.publishBatches(ctx, ranges, "")
}

// ranges splits the dispatch's queued deliveries above after into id
// ranges of at most BatchSize rows.
func (d *Dispatcher) ranges(ctx context.Context, dispatchID, after int64) ([]events.Batch, error) {
	var ranges []events.Batch
	if err := d.cfg.DB.SelectContext(ctx, &ranges, `
		SELECT $1::bigint AS dispatch_id, min(id) AS first_id, max(id) AS last_id
		FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / $2 AS g
		      FROM deliveries WHERE dispatch_id = $1 AND status = 'queued' AND id > $3
		        AND id <= (SELECT max(id) FROM deliveries WHERE dispatch_id = $1)) q
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

// markDoneIfFinished closes a planned dispatch that has nothing left to
// send, and moves the dispatch's mark up to just below its first delivery
// still waiting for a first attempt.
func (d *Dispatcher) markDoneIfFinished(ctx context.Context, dispatchID int64) {
	st, err := d.doneStmt.get(ctx, d.cfg.DB)
	if err == nil {
		var first *int64
		if err = st.GetContext(ctx, &first, dispatchID, d.openFrom.get(dispatchID)); err == nil && first != nil {
			d.openFrom.set(dispatchID, *first-1)
		}
	}
	if err != nil && ctx.Err() == nil {
		d.log.Warn("mark dispatch done", "dispatch_id", dispatchID, "error", err)
	}
}

// doneSQL closes planned dispatch $1 if it has nothing left to send.
//
// No index knows a delivery's status (migration 0023). While the
// dispatch's last delivery waits, the dispatch is not done, and that is
// all a check during a release learns, at the cost of one row. After,
// the first delivery above $2 still waiting for a first attempt is found
// by walking the dispatch's deliveries in id order from $2, below which
// none waited at the last check; the statement returns it as the next
// mark. That holds because a delivery sent, failed, bounced or cancelled
// never waits for a first attempt again, and one that waits for a retry
// keeps next_attempt_at, which an index does know. The bounds keep the
// walk within the dispatch's ids when the server walks the primary key.
const doneSQL = `
	WITH t AS (
		SELECT coalesce((SELECT status = 'queued' FROM deliveries
		                 WHERE id = (SELECT max(id) FROM deliveries WHERE dispatch_id = $1)), false) AS waiting),
	q AS (
		SELECT t.waiting AS tail_waiting,
		       CASE WHEN NOT t.waiting THEN (
		         SELECT min(id) FROM deliveries WHERE dispatch_id = $1 AND status = 'queued' AND id > $2
		           AND id BETWEEN (SELECT min(id) FROM deliveries WHERE dispatch_id = $1)
		                      AND (SELECT max(id) FROM deliveries WHERE dispatch_id = $1)) END AS first,
		       EXISTS (SELECT 1 FROM deliveries WHERE dispatch_id = $1 AND next_attempt_at IS NOT NULL
		               AND status IN ('queued', 'deferred')) AS retrying
		FROM t),
	done AS (
		UPDATE dispatches s SET status = 'done' FROM q
		WHERE s.id = $1 AND s.status = 'planned' AND NOT q.tail_waiting AND q.first IS NULL AND NOT q.retrying
		RETURNING s.id)
	SELECT first FROM q`

// marks holds, per dispatch, an id at or below which none of its
// deliveries waits for a first attempt (see doneSQL). Losing one costs
// the next check a longer walk, nothing more.
type marks struct {
	mu sync.Mutex
	m  map[int64]int64
}

func (k *marks) get(id int64) int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[id]
}

func (k *marks) set(id, mark int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil || len(k.m) >= 1024 {
		// A bound keeps a long-lived process flat: dispatches end.
		k.m = map[int64]int64{}
	}
	k.m[id] = max(k.m[id], mark)
}

// finishSoon marks dispatch id done if nothing is left to send, checking
// at most once a second per dispatch in this process: near a release's
// end the check walks the deliveries sent since the last one, and batches
// end forty times a second at full speed. A check asked for within the
// second runs at its end, so that the last batch's is never lost; what a
// killed process leaves, the sweep closes (see closeFinished).
func (d *Dispatcher) finishSoon(ctx context.Context, id int64) {
	now, after := d.doneChecks.try(id, true)
	if now {
		d.markDoneIfFinished(context.WithoutCancel(ctx), id)
		return
	}
	if after == 0 {
		return
	}
	time.AfterFunc(after, func() {
		if ctx.Err() != nil {
			return // stopping: the sweep of a running process closes it
		}
		d.protect("panic while closing a dispatch", func() {
			d.markDoneIfFinished(context.WithoutCancel(ctx), id)
		}, "dispatch_id", id)
	})
}

// closeFinished marks done every planned dispatch with nothing left to
// send: those whose last check a killed process never made. One at a
// time, so each walks from its mark rather than the whole table.
func (d *Dispatcher) closeFinished(ctx context.Context) error {
	var ids []int64
	if err := d.cfg.DB.SelectContext(ctx, &ids, `SELECT id FROM dispatches WHERE status = 'planned' ORDER BY id`); err != nil {
		return err
	}
	for _, id := range ids {
		d.markDoneIfFinished(ctx, id)
	}
	return ctx.Err()
}
