package releases

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Scheduler lifts embargoes when they are due. Its state is the database
// itself (embargoed releases and their embargo_until), so it survives any
// restart, and any number of processes may run one: each lift happens
// once. It sleeps until the next lift, and checks at least every second
// for embargoes set or moved by other processes.
type Scheduler struct {
	Lifecycle *Lifecycle
	Logger    *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs the scheduler until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan struct{})
	go s.run(ctx)
}

// Stop stops the scheduler and waits for it; idempotent.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

func (s *Scheduler) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Lifecycle.LiftDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.Logger.Error("lifting embargoes", "error", err)
		}
		if n > 0 {
			s.Logger.Info("embargoes lifted", "count", n)
		}
		wait := time.Second
		if next, ok, err := s.Lifecycle.NextLift(ctx); err == nil && ok {
			wait = min(wait, time.Until(next))
		}
		t.Reset(max(wait, 5*time.Millisecond))
	}
}
