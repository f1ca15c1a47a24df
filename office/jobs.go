package office

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// jobs runs what a page does after answering, so that how long the answer
// takes says nothing about the address asked for. At most `queued` jobs
// wait or run and `workers` run at once; a job beyond that is refused.
type jobs struct {
	log     *slog.Logger
	timeout time.Duration
	queued  chan struct{}
	running chan struct{}

	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
}

func newJobs(log *slog.Logger, queued, workers int, timeout time.Duration) *jobs {
	return &jobs{log: log, timeout: timeout, queued: make(chan struct{}, queued), running: make(chan struct{}, workers)}
}

// submit starts job and reports whether it was taken. The job's context
// is its own: the request's ends with the answer.
func (j *jobs) submit(name string, job func(context.Context) error) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return false
	}
	select {
	case j.queued <- struct{}{}:
	default:
		return false
	}
	j.wg.Add(1)
	go j.run(name, job)
	return true
}

func (j *jobs) run(name string, job func(context.Context) error) {
	defer j.wg.Done()
	defer func() { <-j.queued }()
	j.running <- struct{}{}
	defer func() { <-j.running }()
	// Nothing catches a panic outside a request: one bad job must not end
	// the service.
	defer func() {
		if v := recover(); v != nil {
			j.log.Error("office job panicked", "job", name, "panic", v)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), j.timeout)
	defer cancel()
	if err := job(ctx); err != nil {
		j.log.Error("office job failed", "job", name, "error", err)
	}
}

// wait returns once no job is queued or running.
func (j *jobs) wait() { j.wg.Wait() }

// close refuses new jobs and waits for those taken.
func (j *jobs) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.wg.Wait()
}
