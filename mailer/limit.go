package mailer

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter keeps a target's sending rate exact: at most n messages start in
// any window of n/rate seconds (so a limit of 14 per second never lets a
// 15th start within a second of the first), plus a margin for the time a
// message takes to reach the server. A token bucket does not guarantee
// this: it lets a burst through after an idle spell.
type Limiter struct {
	mu     sync.Mutex
	window time.Duration
	starts []time.Time // the last n reserved start times, a ring
	next   int
	now    func() time.Time
}

// margin absorbs the jitter between reserving a start and the server
// seeing the message; a provider counting arrivals must never see more.
const margin = 25 * time.Millisecond

// NewLimiter returns a limiter for rate messages per second, or nil (no
// limit) when rate is 0.
func NewLimiter(rate float64) *Limiter {
	if rate <= 0 {
		return nil
	}
	n := int(math.Floor(rate))
	if n < 1 {
		n = 1
	}
	window := time.Duration(float64(n) / rate * float64(time.Second))
	return &Limiter{window: window + margin, starts: make([]time.Time, n), now: time.Now}
}

// Now reserves a start for a message that may start at once, and reports
// false, reserving nothing, when it would have to wait.
func (l *Limiter) Now() bool {
	if l == nil {
		return true
	}
	_, _, ok := l.reserve(true)
	return ok
}

// Wait blocks until the caller may start one message, reserving its slot.
// Slots are handed out in call order, so waiting callers never starve.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	at, now, _ := l.reserve(false)
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			// The slot stays reserved: giving it back could let a later
			// caller start inside the window.
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// reserve takes the next start at the earliest time it allows, and
// returns that time and the time now; with atOnce it takes it only when
// that is now.
func (l *Limiter) reserve(atOnce bool) (at, now time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.now()
	at = now
	// The slot n messages ago bounds this one.
	if oldest := l.starts[l.next]; !oldest.IsZero() && oldest.Add(l.window).After(at) {
		at = oldest.Add(l.window)
	}
	if atOnce && at.After(now) {
		return at, now, false
	}
	l.starts[l.next] = at
	l.next = (l.next + 1) % len(l.starts)
	return at, now, true
}
