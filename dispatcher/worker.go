package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/tracking"
)

// worker sends batches over one SMTP connection, kept open between them.
type worker struct {
	d    *Dispatcher
	conn *mailer.Conn
	// The messages on the wire, built in turn in these buffers, and their
	// signed copies: a message must stay whole until the server has
	// answered it (see mailer.SendEach).
	bufs, sigs [][]byte

	// held is the chunk being sent: claimed, and neither recorded nor
	// released yet. results holds its outcomes as the connection learns
	// them, message by message; after a panic they tell what to record
	// and what to hand back.
	held    []claimed
	results []mailer.Result

	// limited says the connection's target has a rate limit: its
	// chunks are limitedChunk long.
	limited bool
}

// Chunk is how many deliveries a worker claims, sends and records at a
// time: it bounds what a killed worker can have sent without recording
// it, and so the duplicates a crash can cause. Each chunk costs a claim,
// a record that waits for the disk, and an SMTP connection drained of
// its pipeline; at 50, where a system call was dear, PostgreSQL spent a
// sixth more CPU per delivery than at 125. Half a batch (BatchSize's
// default) keeps a batch's chunks whole.
const Chunk = 125

// limitedChunk is the chunk for a target with a rate limit, where the
// limit, not the CPU, sets the pace: a single message waits for the
// chunk its connection is sending, up to limitedChunk·C/R seconds for C
// connections and R messages a second.
const limitedChunk = 50

// claimed is a delivery a worker holds, as its claim read it (see claim,
// which scans the columns in claimSQL's order).
type claimed struct {
	ID, DispatchID, ContactID int64
	Email, Language           string
	Attempts                  int
	Name, Kind, TimeZone      string
}

func (w *worker) handle(ctx context.Context, msg jetstream.Msg) {
	d := w.d
	var b events.Batch
	if err := json.Unmarshal(msg.Data(), &b); err != nil || b.DispatchID == 0 {
		d.log.Error("dropping malformed batch", "error", err)
		msg.Term()
		return
	}
	log := d.log.With("dispatch_id", b.DispatchID, "first_id", b.FirstID, "last_id", b.LastID)
	if err := w.send(ctx, log, msg, b); err != nil {
		if ctx.Err() == nil {
			log.Error("batch failed, will retry", "error", err)
		}
		msg.NakWithDelay(time.Second)
		return
	}
	// Deliveries of the range still queued belong to a worker whose lease
	// has not run out (or that stopped): look again when it does.
	var pending struct {
		N     int        `db:"n"`
		Until *time.Time `db:"until"`
	}
	// A dispatch that may no longer send (lifted embargo, recall) has its
	// waiting deliveries cancelled by the change itself.
	st, err := d.pendingStmt.get(ctx, d.cfg.DB)
	if err == nil {
		err = st.GetContext(context.WithoutCancel(ctx), &pending, b.DispatchID, b.FirstID, b.LastID)
	}
	if err != nil {
		msg.NakWithDelay(time.Second)
		return
	}
	if pending.N > 0 {
		delay := 50 * time.Millisecond
		if pending.Until != nil {
			delay = max(delay, time.Until(*pending.Until)+50*time.Millisecond)
		}
		msg.NakWithDelay(delay)
		return
	}
	msg.Ack()
	d.finishSoon(ctx, b.DispatchID)
}

// pendingSQL counts what is left to send of a range after a worker found
// nothing more to claim in it, and when the last lease on it runs out.
const pendingSQL = `
	SELECT count(*) AS n, max(lease_until) AS until FROM deliveries
	WHERE dispatch_id = $1 AND id BETWEEN $2 AND $3 AND status = 'queued' AND ` + sendableSQL

// send claims, sends and records the range's queued deliveries a chunk at
// a time until none is left to claim.
func (w *worker) send(ctx context.Context, log *slog.Logger, msg jetstream.Msg, b events.Batch) error {
	d := w.d
	var r *rendered
	total := 0
	told := time.Now() // when JetStream last heard the batch is being worked on
	from := b.FirstID
	// A chunk that ends at the range's last delivery leaves nothing to
	// claim: asking again would cost a claim per batch that finds nothing.
	for ctx.Err() == nil && from <= b.LastID {
		// Single messages go first, between two chunks of a release.
		w.sendMessages(ctx)
		claimedAt := time.Now()
		rows, meta, err := w.claim(ctx, b, from)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		// The next claim looks past this chunk: every delivery before it
		// is done, leased, or was handed back, and then the check for
		// what is pending (in handle) sends the batch round again. From
		// the range's start, each claim read again every delivery the
		// ones before had sent: two rows per delivery.
		from = rows[len(rows)-1].ID + 1
		w.hold(rows)
		// Read with each chunk: a correction made meanwhile must reach
		// the next chunk, or its recipients would miss it twice over.
		if r, err = d.renders.get(ctx, b.DispatchID, meta); err != nil {
			w.held = nil
			w.release(rows)
			return err
		}
		if total == 0 {
			log = log.With("release_id", r.releaseID)
		}
		results := w.sendChunk(ctx, log, r, rows, claimedAt)
		// From here the bookkeeping owns the chunk: should it panic after
		// writing, handing the chunk back again would undo its work.
		w.held = nil
		if err := w.record(ctx, rows, results); err != nil {
			return err
		}
		total += len(rows)
		d.progress.touch(r.releaseID, r.slug)
		// Eight times per AckWait: a chunk slower than seven eighths of
		// it was already too slow to keep its batch; telling after every
		// chunk cost the server a message per chunk.
		if time.Since(told) > d.workAckWait()/8 {
			msg.InProgress()
			told = time.Now()
		}
	}
	log.Debug("batch done", "deliveries", total)
	return nil
}

// sendableSQL is true while dispatch $1 may send: not for a recalled
// release (except the recall itself), and an embargoed notice only while
// the embargo holds for a little while yet, so that no notice can leave
// after the lift.
const sendableSQL = `EXISTS (
	SELECT 1 FROM dispatches s JOIN releases r ON r.id = s.release_id
	WHERE s.id = $1
	  AND (r.status <> 'recalled' OR s.variant = 'recall')
	  AND (s.variant <> 'embargoed' OR (r.status = 'embargoed' AND r.embargo_until > now() + interval '2 seconds')))`

// claim leases a chunk of queued deliveries of the range from id from,
// and reads what the chunk is rendered from.
func (w *worker) claim(ctx context.Context, b events.Batch, from int64) (rows []claimed, meta dispatchMeta, err error) {
	stm, n := &w.d.claimStmt, Chunk
	if w.limited {
		stm, n = &w.d.claimLimitedStmt, limitedChunk
	}
	st, err := stm.get(ctx, w.d.cfg.DB)
	if err != nil {
		return nil, meta, fmt.Errorf("claim deliveries: %w", err)
	}
	// Not cancelled with ctx: a claim the server committed while the
	// client gave up on it would leave its deliveries leased by nobody
	// until the leases ran out (a graceful stop left a chunk so). It
	// takes milliseconds; what it claims is handed back if ctx has ended.
	res, err := st.QueryContext(context.WithoutCancel(ctx), b.DispatchID, from, b.LastID, w.d.cfg.Lease.Milliseconds())
	if err != nil {
		return nil, meta, fmt.Errorf("claim deliveries: %w", err)
	}
	defer res.Close()
	var c claimed
	own := []any{&c.ID, &c.DispatchID, &c.ContactID, &c.Email, &c.Language, &c.Attempts, &c.Name, &c.Kind, &c.TimeZone}
	// The metadata comes with the first row only; the others have NULLs.
	first := append(own[:len(own):len(own)],
		&meta.ReleaseID, &meta.Variant, &meta.Notes, &meta.Reason, &meta.UpdatedAt, &meta.Templates, &meta.Branding)
	var none [7]any
	rest := append(own[:len(own):len(own)], &none[0], &none[1], &none[2], &none[3], &none[4], &none[5], &none[6])
	rows = make([]claimed, 0, n)
	for res.Next() {
		dest := rest
		if len(rows) == 0 {
			dest = first
		}
		if err := res.Scan(dest...); err != nil {
			return nil, meta, fmt.Errorf("claim deliveries: %w", err)
		}
		rows = append(rows, c)
	}
	if err := res.Err(); err != nil {
		return nil, meta, fmt.Errorf("claim deliveries: %w", err)
	}
	return rows, meta, nil
}

// claimSQL leases up to limit queued deliveries of a range. SKIP LOCKED
// lets workers that got the same range share it instead of queueing on
// locks. The limit is written out: PostgreSQL plans a LIMIT parameter as
// a tenth of the table, and would then never keep the prepared plan. The
// dispatch's metadata, the same for the whole chunk, comes with its first
// row: on every row, decoding it was a tenth of a worker's time outside
// SMTP. It is read once, as a CTE: joined as a subquery, it was read again
// for each of the chunk's rows.
//
// The claim commits without waiting for the WAL to reach the disk
// (synchronous_commit is off for its transaction alone, set in its one
// statement): the chunk's record, which waits, brings the claim to disk
// with it. A claim lost to a database crash before that frees deliveries
// whose messages are in flight, which the process may then send again:
// what a crash may cost anyway. It saves a flush per chunk, half of them.
func claimSQL(limit int) string {
	return `
	WITH c AS (
		UPDATE deliveries d SET lease_until = now() + $4 * interval '1 millisecond',
			attempts = attempts + 1, last_attempt_at = now()
		WHERE d.id IN (
			SELECT id FROM deliveries
			WHERE dispatch_id = $1 AND id BETWEEN $2 AND $3 AND status = 'queued'
			  AND (lease_until IS NULL OR lease_until < now())
			ORDER BY id LIMIT ` + strconv.Itoa(limit) + `
			FOR UPDATE SKIP LOCKED)
		  AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
		  AND ` + sendableSQL + `
		RETURNING d.id, d.dispatch_id, d.contact_id, d.email, d.language, d.attempts),
	m AS MATERIALIZED (` + metaSQL + `)
	SELECT c.id, c.dispatch_id, c.contact_id, c.email, c.language, c.attempts, k.name, k.kind, k.timezone, m.*
	FROM c JOIN contacts k ON k.id = c.contact_id
	LEFT JOIN m ON c.id = (SELECT min(id) FROM c) ORDER BY c.id`
}

// hold makes rows the chunk being sent, with no outcome yet.
func (w *worker) hold(rows []claimed) {
	w.held = rows
	w.results = cleared(w.results, len(rows))
}

// sendChunk composes and sends the held chunk, claimed at claimedAt; its
// outcomes are in the returned slice, one per row, valid until the next
// chunk. Each message is built just before it goes, in one of the
// worker's buffers, as many as its connection needs (see
// mailer.SendEach): a worker's memory does not grow with the chunk.
func (w *worker) sendChunk(ctx context.Context, log *slog.Logger, r *rendered, rows []claimed, claimedAt time.Time) []mailer.Result {
	if hook := w.d.chunkHook.Load(); hook != nil {
		(*hook)()
	}
	// A chunk slow to send keeps its leases; should it fail to, no
	// message starts after they are about to run out: another worker may
	// take the deliveries then, and one sent by both would go twice.
	// Those not started go back to the queue.
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer w.keepLeased(sendCtx, rows, claimedAt, cancel)()
	if r.variant == templates.VariantEmbargoed {
		// No embargoed notice starts within a second of the lift: one not
		// started by then stays unsent, is cancelled by the lift, and its
		// recipient gets the public version instead.
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(sendCtx, r.embargoUntil.Add(-time.Second))
		defer cancel()
	}
	results := w.results
	w.conn.SendEach(sendCtx, len(rows), func(i int) (mailer.Raw, error) {
		k := i % len(w.bufs)
		raw, err := w.compose(r, rows[i], w.bufs[k][:0])
		if err != nil {
			return raw, err
		}
		w.bufs[k] = raw.Data
		if w.d.cfg.DKIM != nil {
			if raw.Data, err = w.d.cfg.DKIM.Sign(w.sigs[k][:0], raw.Data); err != nil {
				return raw, err
			}
			w.sigs[k] = raw.Data
		}
		return raw, nil
	}, results)
	for i, res := range results {
		if res.Status != mailer.Sent && res.Status != mailer.Unsent {
			log.Info("delivery not sent", "delivery_id", rows[i].ID, "status", res.Status,
				"smtp_code", res.Code, "reply", res.Reply)
		}
	}
	return results
}

// keepLeased renews the leases of rows, claimed at claimedAt, every
// quarter of the lease while ctx lasts: a chunk sent under a rate limit or
// to a slow server can take longer than its lease. When renewing fails
// (the database is unreachable, or a lease ran out after all), it calls
// stop a quarter of the lease before the last one runs out. At full
// speed a chunk ends long before the first renewal is due. The returned
// function ends the renewals and waits for them.
func (w *worker) keepLeased(ctx context.Context, rows []claimed, claimedAt time.Time, stop context.CancelFunc) (done func()) {
	lease := w.d.cfg.Lease
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		w.d.protect("panic while renewing leases", func() {
			validUntil := claimedAt.Add(lease - lease/4)
			t := time.NewTicker(lease / 4)
			defer t.Stop()
			for {
				select {
				case <-quit:
					return
				case <-ctx.Done():
					return
				case <-t.C:
				}
				renewedAt := time.Now()
				// A renewal stuck (on a lock, a slow server) gives up when
				// the leases it would renew are about to run out.
				rctx, cancel := context.WithDeadline(ctx, validUntil)
				err := w.renew(rctx, rows)
				cancel()
				if err == nil {
					validUntil = renewedAt.Add(lease - lease/4)
				} else if ctx.Err() == nil {
					w.d.log.Warn("renew leases", "error", err, "dispatch_id", rows[0].DispatchID)
				}
				if time.Now().Add(lease / 4).After(validUntil) {
					stop()
					return
				}
			}
		})
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// renew extends the leases of rows, all of which must still be held by
// this chunk. A row is held while its attempt count is the one the claim
// gave it: a worker that took the row over after the lease ran out
// counted an attempt of its own, and renewing its lease would let both
// send the message.
func (w *worker) renew(ctx context.Context, rows []claimed) error {
	ids, attempts := heldBy(rows)
	res, err := w.d.cfg.DB.ExecContext(ctx, `
		UPDATE deliveries d SET lease_until = now() + $3 * interval '1 millisecond'
		FROM unnest($1::bigint[], $2::int[]) AS h(id, attempts)
		WHERE d.id = h.id AND d.attempts = h.attempts AND d.status = 'queued' AND d.lease_until > now()`,
		pq.Array(ids), pq.Array(attempts), w.d.cfg.Lease.Milliseconds())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(rows)) {
		return fmt.Errorf("%d of %d leases renewed", n, len(rows))
	}
	return nil
}

// heldBy returns the ids of rows and the attempt counts their claim gave
// them, which together say the rows are still this worker's.
func heldBy(rows []claimed) (ids []int64, attempts []int64) {
	ids, attempts = make([]int64, len(rows)), make([]int64, len(rows))
	for i, r := range rows {
		ids[i], attempts[i] = r.ID, int64(r.Attempts)
	}
	return ids, attempts
}

// cleared returns s resized to n zero Results, reusing its array.
func cleared(s []mailer.Result, n int) []mailer.Result {
	if cap(s) < n {
		return make([]mailer.Result, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// handBack is what a panic while sending leaves to do: record the
// outcomes the server gave (a message it accepted must not go twice) and
// hand the rest of the chunk back to the queue, so that nothing is lost
// and nothing unsent is marked sent. The connection, in an unknown state,
// is dropped.
func (w *worker) handBack() {
	w.conn.Close()
	rows := w.held
	w.held = nil
	if len(rows) == 0 {
		return
	}
	results := w.results[:len(rows)]
	for i := range results {
		if results[i].Status == "" {
			results[i] = mailer.Result{Status: mailer.Unsent}
		}
	}
	if err := w.record(context.Background(), rows, results); err != nil {
		w.d.log.Error("hand back deliveries after a panic; their leases will run out", "error", err,
			"dispatch_id", rows[0].DispatchID, "deliveries", len(rows))
	}
}

// compose appends the message for row to buf: the release was rendered
// once for its language; only the recipient's fields are encoded here.
func (w *worker) compose(r *rendered, row claimed, buf []byte) (mailer.Raw, error) {
	d := w.d
	p := r.prepared(row.Language)
	// A mission is an institution: it is never greeted as a person.
	rc := templates.Recipient{Name: row.Name, Email: row.Email, TimeZone: row.TimeZone, Institution: row.Kind == "mission"}
	h := templates.Headers{
		FromName: d.cfg.FromName, FromEmail: d.cfg.FromEmail,
		ReplyTo:   r.replyTo,
		MessageID: tracking.DeliveryMessageID(row.ID, r.releaseID, domainOf(d.cfg.FromEmail)),
		ListID:    d.listID,
		Date:      time.Now(),
	}
	if row.Kind == "journalist" {
		tok := d.cfg.Signer.Token("unsubscribe", row.ContactID, time.Time{})
		rc.UnsubscribeURL = d.cfg.BaseURL + "/unsubscribe/" + tok
		h.UnsubscribeHTTPS = rc.UnsubscribeURL
		h.UnsubscribeMailto = "mailto:unsubscribe+" + tok + "@" + d.cfg.BounceDomain
	}
	if r.variant == templates.VariantEmbargoed {
		// The newsroom shows the release to this delivery's recipient
		// alone, and only while the embargo holds (it checks that when
		// the link is opened, so a postponement keeps it working).
		rc.PreviewURL = d.cfg.BaseURL + "/preview/" + d.cfg.Signer.Token("preview", row.ID, time.Time{})
	}
	if r.tracking.Opens || r.tracking.Clicks {
		rc.Track = &templates.Tracking{}
		if r.tracking.Opens {
			rc.Track.Pixel = tracking.OpenURL(d.cfg.BaseURL, d.cfg.Signer, row.ID)
		}
		if r.tracking.Clicks {
			rc.Track.Click = func(target string) string { return tracking.ClickURL(d.cfg.BaseURL, d.cfg.Signer, row.ID, target) }
		}
	}
	data, err := p.AppendMessage(buf, h, rc)
	if err != nil {
		return mailer.Raw{}, err
	}
	return mailer.Raw{
		// The return path names the delivery, so a bounce finds it.
		From: tracking.DeliveryReturnPath(row.ID, d.cfg.BounceDomain, d.cfg.Signer),
		To:   row.Email,
		Data: data,
	}, nil
}

// recordSQL writes a chunk's outcomes in one statement: the deliveries'
// new state (a deferred one waits with backoff, and fails once older than
// MaxAge), which holds each one's latest attempt, and next_attempt_at
// only while a retry is to come (see migration 0023); a row in
// delivery_retries for a deferral, which the next attempt will
// supersede; the relay's id for the message, when its reply gave one;
// and for hard bounces the suppression and the contact's
// status. Only deliveries still queued change, so a late writer never
// overwrites a newer outcome.
const recordSQL = `
	WITH v AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bigint[], $7::text[])
			AS v(id, status, code, reply, delay, provider_id)),
	upd AS (
		UPDATE deliveries d SET
			status = CASE WHEN v.status = 'deferred' AND d.queued_at < now() - $6 * interval '1 millisecond'
			              THEN 'failed' ELSE v.status END,
			smtp_code = nullif(v.code, 0), smtp_reply = v.reply, lease_until = NULL, last_attempt_at = now(),
			sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE d.sent_at END,
			next_attempt_at = CASE WHEN v.status = 'deferred' AND d.queued_at >= now() - $6 * interval '1 millisecond'
			                  THEN now() + v.delay * interval '1 millisecond' END
		FROM v WHERE d.id = v.id AND d.status = 'queued'
		RETURNING d.id, d.attempts, d.status, d.smtp_code, d.smtp_reply, d.contact_id, d.email),
	pid AS (
		INSERT INTO delivery_provider_ids (provider_id, delivery_id)
		SELECT v.provider_id, v.id FROM v JOIN upd ON upd.id = v.id WHERE v.provider_id <> ''
		ON CONFLICT DO NOTHING),
	att AS (
		INSERT INTO delivery_retries (delivery_id, attempt, status, smtp_code, smtp_reply)
		SELECT id, attempts, status, smtp_code, smtp_reply FROM upd WHERE status = 'deferred'
		ON CONFLICT (delivery_id, attempt) DO NOTHING),
	sup AS (
		INSERT INTO suppressions (email, reason, detail)
		SELECT lower(email), 'bounced', left(smtp_reply, 500) FROM upd WHERE status = 'bounced'
		ON CONFLICT (email) DO NOTHING),
	con AS (
		UPDATE contacts c SET status = 'bounced', updated_at = now()
		FROM upd WHERE c.id = upd.contact_id AND upd.status = 'bounced' AND c.status = 'active')
	SELECT count(*) FROM upd`

// record writes a chunk's outcomes, retrying for a while: the messages are
// sent, and losing their bookkeeping would send them again later.
func (w *worker) record(ctx context.Context, rows []claimed, results []mailer.Result) error {
	n := len(rows)
	ids := make([]int64, 0, n)
	statuses := make([]string, 0, n)
	codes := make([]int64, 0, n)
	replies := make([]string, 0, n)
	delays := make([]int64, 0, n)
	providerIDs := make([]string, 0, n)
	var unsent []claimed
	for i, row := range rows {
		res := results[i]
		if res.Status == mailer.Unsent {
			unsent = append(unsent, row)
			continue
		}
		ids = append(ids, row.ID)
		statuses = append(statuses, res.Status)
		codes = append(codes, int64(res.Code))
		replies = append(replies, res.Reply)
		delays = append(delays, w.backoff(row.Attempts).Milliseconds())
		providerIDs = append(providerIDs, res.ProviderID)
	}
	if len(ids) > 0 {
		if err := w.d.retryWrite(ctx, "record outcomes", func(ctx context.Context) error {
			st, err := w.d.recordStmt.get(ctx, w.d.cfg.DB)
			if err != nil {
				return err
			}
			_, err = st.ExecContext(ctx,
				pq.Array(ids), pq.Array(statuses), pq.Array(codes), pq.Array(replies), pq.Array(delays),
				w.d.cfg.MaxAge.Milliseconds(), pq.Array(providerIDs))
			return err
		}); err != nil {
			return err
		}
	}
	w.release(unsent)
	counts := map[string]int{}
	for _, st := range statuses {
		counts[st]++
	}
	for st, n := range counts {
		w.d.cfg.Metrics.Delivered(st, n)
	}
	if len(ids) > 0 && w.progressDue(rows[0].DispatchID) {
		// At most one write in ten seconds per dispatch, from this process
		// and, by the condition, from all of them together.
		if _, err := w.d.cfg.DB.ExecContext(context.WithoutCancel(ctx), `
			UPDATE dispatches SET last_progress_at = now()
			WHERE id = $1 AND (last_progress_at IS NULL OR last_progress_at < now() - interval '10 seconds')`,
			rows[0].DispatchID); err != nil {
			w.d.log.Warn("record dispatch progress", "error", err)
		}
	}
	return nil
}

// release hands claimed but unsent deliveries back to the queue: those
// still held by this worker only (see renew). One whose lease ran out
// while its record waited may have been claimed by another worker since;
// clearing that worker's lease would let this one claim and send it too.
func (w *worker) release(rows []claimed) {
	if len(rows) == 0 {
		return
	}
	ids, attempts := heldBy(rows)
	if _, err := w.d.cfg.DB.Exec(`
		UPDATE deliveries d SET lease_until = NULL, attempts = greatest(d.attempts - 1, 0)
		FROM unnest($1::bigint[], $2::int[]) AS h(id, attempts)
		WHERE d.id = h.id AND d.attempts = h.attempts AND d.status = 'queued'`,
		pq.Array(ids), pq.Array(attempts)); err != nil {
		// The leases run out by themselves; another worker takes over then.
		w.d.log.Warn("release deliveries", "error", err)
	}
}

// backoff is the delay before retry number attempts: RetryBase doubling
// each time, capped at an hour, with ±20% jitter so retries spread out.
func (w *worker) backoff(attempts int) time.Duration {
	base := float64(w.d.cfg.RetryBase) * math.Pow(2, float64(max(attempts-1, 0)))
	base = min(base, float64(time.Hour))
	return time.Duration(base * (0.8 + 0.4*rand.Float64()))
}

// guard runs handle on one message so that a panic in it (a bug, or a
// dependency misbehaving in a way nobody foresaw) never takes the process
// down: it is recovered and logged with its stack, cleanup hands back what
// the handler held, and the message goes back to the queue for whichever
// worker takes it next. It reports whether handle panicked.
func (d *Dispatcher) guard(ctx context.Context, name string, msg jetstream.Msg,
	handle func(context.Context, jetstream.Msg), cleanup func()) (panicked bool) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		panicked = true
		var ids struct {
			DispatchID int64 `json:"dispatch_id"`
		}
		json.Unmarshal(msg.Data(), &ids)
		d.log.Error("recovered from a panic; handing the work back", "consumer", name,
			"dispatch_id", ids.DispatchID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if cleanup != nil {
			// Handing back must not bring down what guard saved.
			d.protect("panic while handing work back; its leases will run out", cleanup,
				"consumer", name, "dispatch_id", ids.DispatchID)
		}
		msg.NakWithDelay(time.Second)
	}()
	handle(ctx, msg)
	return false
}

// panicPause is how long a loop waits after its n-th panic in a row
// before taking work again: a fault that strikes every message must not
// spin, nor stall the loop for long once it is gone.
func panicPause(n int) time.Duration {
	return min(100*time.Millisecond<<min(n, 10), 10*time.Second)
}

// retryWrite runs write, which records what has already left, until it
// succeeds or eight tries over about half a minute fail: losing that
// bookkeeping would send the same mail again. The write outlives ctx's
// cancellation, so that a stopping worker still records what it sent.
func (d *Dispatcher) retryWrite(ctx context.Context, what string, write func(context.Context) error) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	for try, wait := 0, 100*time.Millisecond; try < 8; try, wait = try+1, wait*2 {
		if err = write(ctx); err == nil {
			return nil
		}
		d.log.Warn(what+", retrying", "error", err, "try", try+1)
		time.Sleep(wait)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// progressDue reports whether this process should write dispatch id's
// last progress now: at most once in ten seconds, so that most chunks
// cost no statement for it.
func (w *worker) progressDue(id int64) bool {
	now, _ := w.d.progressWrite.try(id, false)
	return now
}
