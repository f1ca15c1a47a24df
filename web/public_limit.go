package web

import (
	"sync"
	"time"
)

// verdict is a limiter's answer to one event.
type verdict int

const (
	allowed verdict = iota
	// limited: the key has used its burst and must wait its turn.
	limited
	// full: the key is new and the limiter holds as many keys as it may.
	full
)

// limiter allows each key (a client network) burst events at once, then
// one per every. It keeps, per key, the time at which the key's bucket is
// full again (the generic cell rate algorithm's theoretical arrival
// time); a key whose time has passed is the same as a new one and is the
// only kind ever forgotten. Memory is bounded by refusing new keys while
// the limiter is full, never by forgetting a key that is still limited:
// otherwise a flood of requests from other keys would set it free.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	burst int
	max   int
	due   map[string]time.Time
	// sweepAt is no later than the earliest due time held, so that a full
	// limiter scans its keys only when one of them may have expired.
	sweepAt time.Time
}

// newLimiter allows burst events per key at once, then one per every, for
// at most max keys at a time.
func newLimiter(burst int, every time.Duration, max int) *limiter {
	return &limiter{every: every, burst: burst, max: max, due: map[string]time.Time{}}
}

// allow decides on one more event of key at now.
func (l *limiter) allow(key string, now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	due, ok := l.due[key]
	if !ok {
		if len(l.due) >= l.max && !l.sweep(now) {
			return full
		}
	}
	if due.Before(now) {
		due = now
	}
	next := due.Add(l.every)
	if next.Sub(now) > time.Duration(l.burst)*l.every {
		return limited
	}
	l.due[key] = next
	if next.Before(l.sweepAt) {
		l.sweepAt = next
	}
	return allowed
}

// sweep forgets the keys whose bucket is full again and reports whether
// that made room.
func (l *limiter) sweep(now time.Time) bool {
	if now.Before(l.sweepAt) {
		return false
	}
	var earliest time.Time
	for k, due := range l.due {
		if !due.After(now) {
			delete(l.due, k)
		} else if earliest.IsZero() || due.Before(earliest) {
			earliest = due
		}
	}
	l.sweepAt = earliest
	return len(l.due) < l.max
}
