package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Relay publishes committed outbox rows to JetStream. Several relays (one
// per process) may run at once: rows are claimed with SKIP LOCKED.
type Relay struct {
	DB     *sqlx.DB
	DSN    string // for LISTEN; empty disables wake-ups and leaves polling
	JS     jetstream.JetStream
	Logger *slog.Logger
	// Published, when set, is told each event published.
	Published func(subject string)
	// Poll is the longest a row waits when a notification is missed.
	Poll time.Duration

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs the relay in the background until Stop.
func (r *Relay) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	if r.Poll == 0 {
		r.Poll = time.Second
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go r.run(ctx)
}

// Stop stops the relay and waits for it; idempotent.
func (r *Relay) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	var wake <-chan *pq.Notification
	if r.DSN != "" {
		l := pq.NewListener(r.DSN, 100*time.Millisecond, 10*time.Second, nil)
		defer l.Close()
		if err := l.Listen(notifyChannel); err != nil {
			r.Logger.Warn("outbox relay cannot listen, polling only", "error", err)
		} else {
			wake = l.Notify
		}
	}
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		for {
			n, err := r.publishBatch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.Logger.Warn("outbox relay", "error", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// publishBatch publishes up to 100 unpublished rows and marks them, in one
// transaction; a crash after publishing and before commit republishes them
// with the same message id, which JetStream de-duplicates.
func (r *Relay) publishBatch(ctx context.Context) (int, error) {
	tx, err := r.DB.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var rows []struct {
		ID      int64  `db:"id"`
		Subject string `db:"subject"`
		MsgID   string `db:"msg_id"`
		Payload []byte `db:"payload"`
	}
	if err := tx.SelectContext(ctx, &rows, `
		SELECT id, subject, msg_id, payload FROM outbox
		WHERE published_at IS NULL ORDER BY id LIMIT 100
		FOR UPDATE SKIP LOCKED`); err != nil {
		return 0, fmt.Errorf("claim outbox rows: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, row := range rows {
		msg := &nats.Msg{Subject: row.Subject, Data: row.Payload, Header: nats.Header{}}
		if _, err := r.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(row.MsgID)); err != nil {
			// Mark what made it, retry the rest on the next round.
			if len(ids) == 0 {
				return 0, fmt.Errorf("publish %s: %w", row.Subject, err)
			}
			break
		}
		r.Logger.Debug("event published", "subject", row.Subject, "msg_id", row.MsgID)
		ids = append(ids, row.ID)
		if r.Published != nil {
			r.Published(row.Subject)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = now() WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return 0, fmt.Errorf("mark outbox rows: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(ids), nil
}
