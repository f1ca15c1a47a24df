// Package dispatcher turns published releases into delivered e-mail. A
// planner consumes release events, records one delivery per recipient with
// set-based SQL and queues batches of them on a JetStream work queue;
// workers in any number of processes take batches, render once per
// (release, variant, language), send through the SMTP pools and record
// every outcome. Deliveries are leased while being sent, so a worker that
// dies hands its batch to another and nobody is sent a release twice except
// the messages that were in flight at the moment of death.
package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/events"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/metrics"
)

// Config holds what a Dispatcher needs; zero durations take defaults.
type Config struct {
	DB      *sqlx.DB
	JS      jetstream.JetStream
	Logger  *slog.Logger
	Pools   []*mailer.Pool
	DKIM    *mailer.DKIM // signs every message when set
	Metrics *metrics.Metrics
	Signer  *links.Signer

	FromName, FromEmail string
	BounceDomain        string
	BaseURL             string
	// DSN is the database's URL, to LISTEN for single messages as they are
	// queued; without it they are found by a check once a second.
	DSN string

	BatchSize int // deliveries per work item (default 250)
	// Window is how many deliveries of one dispatch may wait in the queue
	// before its planner pauses (default 40 batches), so that releases
	// published together progress together.
	Window   int
	Planners int           // releases one process plans at once (default 4)
	Lease    time.Duration // how long a worker holds a delivery (default 2m)
	// MaxAge is how long a deferred delivery keeps being retried before it
	// fails (default 24h).
	MaxAge time.Duration
	// RetryBase is the first retry delay; it doubles each attempt (default 30s).
	RetryBase time.Duration
}

// Consumer names, shared by every dispatcher process.
const (
	plannerConsumer = "dispatch-planner"
	workerConsumer  = "dispatch-worker"
)

// Dispatcher runs a planner, the retry scheduler and one worker per SMTP
// connection.
type Dispatcher struct {
	cfg      Config
	log      *slog.Logger
	renders  *renderCache
	listID   string
	progress progress

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// messagesPending counts signals that single messages may be waiting;
	// zero means none is (see messages.go).
	messagesPending atomic.Int64

	// The statements every chunk or batch runs (see stmt).
	claimStmt, claimLimitedStmt, recordStmt, pendingStmt, doneStmt stmt

	doneChecks    throttle // see finishSoon
	openFrom      marks    // see doneSQL
	progressWrite throttle // a dispatch's last progress, written at most every 10 s

	// chunkHook, when tests set it, runs in a worker before each chunk
	// is composed: where they inject faults.
	chunkHook atomic.Pointer[func()]
	// tickHook, when tests set it, runs at each tick of the retry
	// scheduler.
	tickHook atomic.Pointer[func()]
}

// New returns a Dispatcher for cfg.
func New(cfg Config) *Dispatcher {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 250
	}
	if cfg.Window == 0 {
		cfg.Window = 40 * cfg.BatchSize
	}
	if cfg.Planners == 0 {
		cfg.Planners = 4
	}
	if cfg.Lease == 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.BounceDomain == "" {
		cfg.BounceDomain = domainOf(cfg.FromEmail)
	}
	return &Dispatcher{cfg: cfg, log: cfg.Logger, renders: newRenderCache(cfg.DB, cfg.Logger, cfg.BaseURL),
		listID:    fmt.Sprintf("%s <releases.%s>", cfg.FromName, domainOf(cfg.FromEmail)),
		claimStmt: stmt{query: claimSQL(Chunk)}, claimLimitedStmt: stmt{query: claimSQL(limitedChunk)},
		recordStmt:  stmt{query: recordSQL},
		pendingStmt: stmt{query: pendingSQL}, doneStmt: stmt{query: doneSQL},
		doneChecks: throttle{interval: time.Second}, progressWrite: throttle{interval: 10 * time.Second}}
}

// workAckWait is how long a worker may hold a batch without telling
// JetStream it is still on it: never longer than the leases it takes.
func (d *Dispatcher) workAckWait() time.Duration { return min(30*time.Second, d.cfg.Lease) }

// Start creates the consumers and starts the background work.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return errors.New("dispatcher already started")
	}
	var planner, workQueue jetstream.Consumer
	err := events.UntilAnswered(ctx, d.log, "the planner consumer's setup", func() (err error) {
		planner, err = d.cfg.JS.CreateOrUpdateConsumer(ctx, events.EventStream, jetstream.ConsumerConfig{
			Durable: plannerConsumer,
			// Every release event that starts a dispatch: published, lifted,
			// embargoed, postponed, recalled, corrected.
			FilterSubject: "communique.release.>",
			AckPolicy:     jetstream.AckExplicitPolicy,
			// Planners report progress at least every 2 s; one silent for 10 s
			// is dead, and another resumes its dispatch.
			AckWait:       10 * time.Second,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			MaxAckPending: 64,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("planner consumer: %w", err)
	}
	err = events.UntilAnswered(ctx, d.log, "the worker consumer's setup", func() (err error) {
		workQueue, err = d.cfg.JS.CreateOrUpdateConsumer(ctx, events.WorkStream, jetstream.ConsumerConfig{
			Durable:       workerConsumer,
			FilterSubject: events.SubjectBatch,
			AckPolicy:     jetstream.AckExplicitPolicy,
			// Workers report progress eight times per AckWait; a silent one
			// is dead, and its batch goes to another once its leases run out.
			AckWait:       d.workAckWait(),
			MaxAckPending: 10_000,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("worker consumer: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	for i := 0; i < d.cfg.Planners; i++ {
		d.loop(runCtx, "planner", planner, d.plan, nil, nil)
	}
	// Messages queued while no dispatcher ran are sent at once.
	d.messagesPending.Add(1)
	for _, p := range d.cfg.Pools {
		for i := 0; i < p.Target.Concurrency; i++ {
			w := &worker{d: d, conn: p.Conn(), limited: p.Target.Rate > 0,
				bufs: make([][]byte, p.Buffers()), sigs: make([][]byte, p.Buffers())}
			d.loop(runCtx, "worker", workQueue, w.handle, w.handBack, w.sendMessages)
		}
	}
	d.supervise(runCtx, "message listener", d.listenMessages)
	d.supervise(runCtx, "retry scheduler", d.retryLoop)
	d.supervise(runCtx, "progress", d.progressLoop)
	return nil
}

// supervise runs loop until ctx ends. A panic in it is logged with its
// stack and the loop starts again after a pause, as a worker does: no
// background part may take the process down.
func (d *Dispatcher) supervise(ctx context.Context, name string, loop func(context.Context)) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for panics := 0; ctx.Err() == nil; {
			if !d.protect("recovered from a panic; starting again", func() { loop(ctx) }, "loop", name) {
				return // the loop ended with its context
			}
			panics++
			sleep(ctx, panicPause(panics))
		}
	}()
}

// protect runs f, reporting whether it panicked; a panic is logged as
// msg with attrs, its value and its stack.
func (d *Dispatcher) protect(msg string, f func(), attrs ...any) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			d.log.Error(msg, append(attrs, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))...)
		}
	}()
	f()
	return false
}

// Stop stops taking work, lets each worker finish the batch it holds (a
// batch it cannot finish goes back to the queue) and returns when all have
// stopped; idempotent.
func (d *Dispatcher) Stop() {
	d.mu.Lock()
	cancel := d.cancel
	d.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	d.wg.Wait()
	for _, s := range []*stmt{&d.claimStmt, &d.claimLimitedStmt, &d.recordStmt, &d.pendingStmt, &d.doneStmt} {
		s.close()
	}
}

// loop fetches messages one at a time and hands them to handle until ctx
// ends; after a panic in handle, cleanup (if any) hands back what it held
// and the loop pauses before going on (see guard). A loop with first
// (the workers') runs it before each fetch and waits at most idleFetch in
// one, so that an idle worker notices a single message soon.
func (d *Dispatcher) loop(ctx context.Context, name string, c jetstream.Consumer,
	handle func(context.Context, jetstream.Msg), cleanup func(), first func(context.Context)) {
	wait := 5 * time.Second
	if first != nil {
		wait = idleFetch
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		panics := 0
		for ctx.Err() == nil {
			if first != nil {
				first(ctx)
			}
			// The fetch's deadline becomes the pull request's expiry on the
			// server, a little shorter, so the request ends there before
			// the client stops listening: no batch is handed to a fetch
			// nobody waits for, to sit unacknowledged until its AckWait.
			// Waking a worker by cancelling its fetch would risk exactly
			// that, which is why workers poll briefly instead.
			fctx, cancel := context.WithTimeout(ctx, wait)
			msg, err := c.Next(jetstream.FetchContext(fctx))
			cancel()
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
					d.log.Warn("fetch failed", "consumer", name, "error", err)
					sleep(ctx, time.Second)
				}
				continue
			}
			if d.guard(ctx, name, msg, handle, cleanup) {
				panics++
				sleep(ctx, panicPause(panics))
			} else {
				panics = 0
			}
		}
	}()
}

// idleFetch is the longest an idle worker waits for a batch before it
// looks for single messages again: with the time to claim and send one,
// a message reaches an idle dispatcher's connection well within a second.
// The cost is a few pull requests a second per idle connection.
const idleFetch = 400 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func domainOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[i+1:]
		}
	}
	return addr
}
