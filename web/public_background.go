package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// background runs what a public page's request leads to after the page
// has answered: whether the address is new, subscribed or refused decides
// what is written and mailed, and none of that may show in how long the
// answer takes. It is bounded: at most queued jobs wait or run, at most
// workers of them run at once, and a job beyond that is refused, which
// the page answers as "try later".
type background struct {
	logger  *slog.Logger
	timeout time.Duration
	queued  chan struct{}
	running chan struct{}

	mu      sync.Mutex
	idle    *sync.Cond
	pending int
	closed  bool
}

func newBackground(logger *slog.Logger, queued, workers int, timeout time.Duration) *background {
	b := &background{logger: logger, timeout: timeout,
		queued: make(chan struct{}, queued), running: make(chan struct{}, workers)}
	b.idle = sync.NewCond(&b.mu)
	return b
}

// submit queues job and reports whether it was taken. The job's context
// is its own, not the request's, which ends with the answer.
func (b *background) submit(name string, job func(context.Context) error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	select {
	case b.queued <- struct{}{}:
	default:
		return false
	}
	b.pending++
	go b.run(name, job)
	return true
}

func (b *background) run(name string, job func(context.Context) error) {
	defer func() {
		<-b.queued
		b.mu.Lock()
		b.pending--
		if b.pending == 0 {
			b.idle.Broadcast()
		}
		b.mu.Unlock()
	}()
	b.running <- struct{}{}
	defer func() { <-b.running }()
	// Nothing catches a panic outside a request: one bad job must not end
	// the service.
	defer func() {
		if v := recover(); v != nil {
			b.logger.Error("background job panicked", "job", name, "panic", v)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	if err := job(ctx); err != nil {
		b.logger.Error("background job failed", "job", name, "error", err)
	}
}

// wait returns once no job is queued or running.
func (b *background) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.pending > 0 {
		b.idle.Wait()
	}
}

// close refuses new jobs and waits for the queued ones to finish. It may
// be called more than once.
func (b *background) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wait()
}

// Close waits for the work the public pages queued after answering
// (confirmation mails) to finish, and refuses more. Call it once the HTTP
// server has stopped taking requests, before closing the database.
func (h *Handler) Close() {
	if h.public != nil {
		h.public.background.close()
	}
}
