package dispatcher

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/tracking"
)

// Single messages (confirmations, resets, test sends; see mailqueue) go
// ahead of release traffic on the same connections: a worker looks for
// them before it fetches a batch and between two chunks of one, so one
// waits at most for the chunk each connection is sending, never behind a
// whole release. Looking costs nothing while no message is pending: the
// dispatcher keeps a counter of signals, raised by PostgreSQL's
// notification at each enqueue, at start, when a deferred message comes
// due, and by the once-a-second check in the retry loop (messages of
// another process, expired leases, a missed notification). A worker that
// finds nothing to claim clears the counter only if no signal came
// meanwhile, so no message is forgotten.

// messageChunk bounds the messages one worker claims at a time, so that
// a burst of them is shared by every connection.
const messageChunk = 10

// listenMessages raises the pending signal at each enqueue until ctx
// ends. Without a DSN, the retry loop's check alone finds new messages.
func (d *Dispatcher) listenMessages(ctx context.Context) {
	if d.cfg.DSN == "" {
		return
	}
	l := pq.NewListener(d.cfg.DSN, 100*time.Millisecond, 10*time.Second, nil)
	defer l.Close()
	if err := l.Listen(mailqueue.NotifyChannel); err != nil {
		d.log.Warn("cannot listen for messages; looking once a second", "error", err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.Notify:
			// A nil notification means the connection was re-established
			// and some may have been missed: look anyway.
			d.messagesPending.Add(1)
		}
	}
}

// checkMessages raises the signal when a message is due that no live
// worker holds.
func (d *Dispatcher) checkMessages(ctx context.Context) error {
	var due bool
	if err := d.cfg.DB.GetContext(ctx, &due, `
		SELECT EXISTS (SELECT 1 FROM messages
			WHERE status IN ('queued', 'deferred') AND next_attempt_at <= now()
			  AND (lease_until IS NULL OR lease_until < now()))`); err != nil {
		return fmt.Errorf("look for due messages: %w", err)
	}
	if due {
		d.messagesPending.Add(1)
	}
	return nil
}

type claimedMessage struct {
	ID        int64  `db:"id"`
	Kind      string `db:"kind"`
	To        string `db:"to_email"`
	Data      []byte `db:"data"`
	Attempts  int    `db:"attempts"`
	ContactID int64  `db:"contact_id"`
}

// sendMessages sends pending messages over w's connection until none is
// left to claim or ctx ends. A panic here must not take the process
// down: the connection is dropped and the leases of what was held run out.
func (w *worker) sendMessages(ctx context.Context) {
	if w.d.protect("recovered from a panic while sending messages; their leases will run out",
		func() { w.sendPending(ctx) }) {
		w.conn.Close()
	}
}

// sendPending is sendMessages, unprotected.
func (w *worker) sendPending(ctx context.Context) {
	d := w.d
	for ctx.Err() == nil {
		signal := d.messagesPending.Load()
		if signal == 0 {
			return
		}
		rows, err := w.claimMessages(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("claim messages", "error", err)
			}
			return
		}
		if len(rows) == 0 {
			d.messagesPending.CompareAndSwap(signal, 0)
			return
		}
		results := w.sendMessageChunk(ctx, rows)
		if err := w.recordMessages(ctx, rows, results); err != nil {
			d.log.Error("record messages; their leases will run out", "error", err)
			return
		}
	}
}

func (w *worker) claimMessages(ctx context.Context) ([]claimedMessage, error) {
	var rows []claimedMessage
	err := w.d.cfg.DB.SelectContext(ctx, &rows, `
		WITH c AS (
			SELECT id FROM messages
			WHERE status IN ('queued', 'deferred') AND next_attempt_at <= now()
			  AND (lease_until IS NULL OR lease_until < now())
			ORDER BY next_attempt_at, id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE messages m SET status = 'queued', attempts = m.attempts + 1,
			lease_until = now() + $1 * interval '1 millisecond'
		FROM c WHERE m.id = c.id
		RETURNING m.id, m.kind, m.to_email, m.data, m.attempts, coalesce(m.contact_id, 0) AS contact_id`,
		w.d.cfg.Lease.Milliseconds(), messageChunk)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	return rows, nil
}

// sendMessageChunk signs and sends rows; the stored bytes are never
// signed, so a key changed meanwhile signs what leaves now.
func (w *worker) sendMessageChunk(ctx context.Context, rows []claimedMessage) []mailer.Result {
	d := w.d
	results := make([]mailer.Result, len(rows))
	raws := make([]mailer.Raw, 0, len(rows))
	idx := make([]int, 0, len(rows))
	for i, row := range rows {
		data := row.Data
		if d.cfg.DKIM != nil {
			var err error
			if data, err = d.cfg.DKIM.Sign(nil, row.Data); err != nil {
				results[i] = mailer.Result{Status: mailer.Failed, Reply: "DKIM: " + err.Error()}
				continue
			}
		}
		raws = append(raws, mailer.Raw{From: tracking.MessageReturnPath(row.ID, d.cfg.BounceDomain, d.cfg.Signer), To: row.To, Data: data})
		idx = append(idx, i)
	}
	sent := make([]mailer.Result, len(raws))
	w.conn.SendInto(ctx, raws, sent)
	for j, res := range sent {
		results[idx[j]] = res
		row := rows[idx[j]]
		if res.Status != mailer.Sent && res.Status != mailer.Unsent {
			d.log.Info("message not sent", "message_id", row.ID, "kind", row.Kind, "status", res.Status,
				"smtp_code", res.Code, "reply", res.Reply)
		}
	}
	return results
}

// recordMessagesSQL writes outcomes as recordSQL does for deliveries: a
// deferred message waits with backoff and fails once older than MaxAge; a
// hard bounce suppresses the address, and makes its contact bounced.
const recordMessagesSQL = `
	WITH v AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bigint[])
			AS v(id, status, code, reply, delay)),
	upd AS (
		UPDATE messages m SET
			status = CASE WHEN v.status = 'deferred' AND m.created_at < now() - $6 * interval '1 millisecond'
			              THEN 'failed' ELSE v.status END,
			smtp_code = nullif(v.code, 0), smtp_reply = v.reply, lease_until = NULL,
			sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE m.sent_at END,
			next_attempt_at = CASE WHEN v.status = 'deferred' THEN now() + v.delay * interval '1 millisecond'
			                  ELSE m.next_attempt_at END
		FROM v WHERE m.id = v.id AND m.status = 'queued'
		RETURNING m.id, m.kind, m.status, m.smtp_reply, m.to_email, m.contact_id),
	sup AS (
		INSERT INTO suppressions (email, reason, detail)
		SELECT lower(to_email), 'bounced', left(smtp_reply, 500) FROM upd WHERE status = 'bounced'
		ON CONFLICT (email) DO NOTHING),
	con AS (
		UPDATE contacts c SET status = 'bounced', updated_at = now()
		FROM upd WHERE c.id = upd.contact_id AND upd.status = 'bounced' AND c.status IN ('active', 'pending'))
	SELECT kind, status, count(*) AS n FROM upd GROUP BY 1, 2`

// recordMessages writes a chunk's outcomes, retrying for a while (the
// messages left, and losing their bookkeeping would send them again), and
// hands unsent ones back.
func (w *worker) recordMessages(ctx context.Context, rows []claimedMessage, results []mailer.Result) error {
	d := w.d
	var ids, codes, delays []int64
	var statuses, replies []string
	var unsent, unsentAttempts []int64
	var soonest time.Duration
	for i, row := range rows {
		res := results[i]
		if res.Status == mailer.Unsent {
			unsent, unsentAttempts = append(unsent, row.ID), append(unsentAttempts, int64(row.Attempts))
			continue
		}
		delay := w.backoff(row.Attempts)
		if res.Status == mailer.Deferred && (soonest == 0 || delay < soonest) {
			soonest = delay
		}
		ids, statuses, codes = append(ids, row.ID), append(statuses, res.Status), append(codes, int64(res.Code))
		replies, delays = append(replies, res.Reply), append(delays, delay.Milliseconds())
	}
	if len(ids) > 0 {
		var counts []struct {
			Kind   string `db:"kind"`
			Status string `db:"status"`
			N      int    `db:"n"`
		}
		if err := d.retryWrite(ctx, "record message outcomes", func(ctx context.Context) error {
			counts = counts[:0]
			return d.cfg.DB.SelectContext(ctx, &counts, recordMessagesSQL,
				pq.Array(ids), pq.Array(statuses), pq.Array(codes), pq.Array(replies), pq.Array(delays),
				d.cfg.MaxAge.Milliseconds())
		}); err != nil {
			return err
		}
		for _, c := range counts {
			d.cfg.Metrics.Message(c.Kind, c.Status, c.N)
		}
	}
	if soonest > 0 {
		// This process looks again as soon as the first retry is due,
		// rather than at the retry loop's next second.
		time.AfterFunc(soonest, func() { d.messagesPending.Add(1) })
	}
	if len(unsent) > 0 {
		// Only those still held by this worker (see worker.release).
		if _, err := d.cfg.DB.Exec(`
			UPDATE messages m SET lease_until = NULL, attempts = greatest(m.attempts - 1, 0)
			FROM unnest($1::bigint[], $2::int[]) AS h(id, attempts)
			WHERE m.id = h.id AND m.attempts = h.attempts AND m.status = 'queued'`,
			pq.Array(unsent), pq.Array(unsentAttempts)); err != nil {
			d.log.Warn("hand back messages; their leases will run out", "error", err)
		}
		d.messagesPending.Add(1)
	}
	return nil
}
