package dispatcher

import (
	"sync"
	"time"
)

// throttle lets something happen for a dispatch at most once per interval
// in this process.
type throttle struct {
	interval time.Duration

	mu    sync.Mutex
	slots map[int64]throttleSlot
}

type throttleSlot struct {
	until    time.Time // the interval opened by the last run
	trailing bool      // a run is due at until
}

// try reports whether id's thing may happen now, opening an interval if
// so. When it may not and trail is set, the first such call in an
// interval returns how long until one more run is due, at the interval's
// end, so that what the last call asked for is not lost; other calls
// return 0.
func (t *throttle) try(id int64, trail bool) (now bool, after time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := time.Now()
	s, ok := t.slots[id]
	if !ok || !at.Before(s.until) {
		if t.slots == nil || len(t.slots) > 1024 {
			t.slots = t.open(at) // a bound keeps a long-lived process flat
		}
		t.slots[id] = throttleSlot{until: at.Add(t.interval)}
		return true, 0
	}
	if !trail || s.trailing {
		return false, 0
	}
	s.trailing = true
	t.slots[id] = s
	return false, s.until.Sub(at)
}

// open returns the slots whose interval has not ended; the caller holds mu.
func (t *throttle) open(at time.Time) map[int64]throttleSlot {
	m := make(map[int64]throttleSlot, len(t.slots))
	for id, s := range t.slots {
		if at.Before(s.until) {
			m[id] = s
		}
	}
	return m
}
