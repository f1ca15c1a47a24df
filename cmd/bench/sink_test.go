package main

import (
	"runtime"
	"testing"
	"time"
)

// Each tenth of the phase counts the messages that arrived in it, the
// last message in the last tenth, as a rate per second.
func TestByTenthSplitsThePhase(t *testing.T) {
	s := &sink{}
	if got := s.byTenth(); got != ([10]float64{}) {
		t.Fatalf("no messages: %v, want zeros", got)
	}
	// 10 s: one message in each of the first nine seconds, three in the
	// last, the final one at the very end.
	for _, ms := range []int{500, 1500, 2500, 3500, 4500, 5500, 6500, 7500, 8500, 9000, 9999, 10000} {
		s.arrivals = append(s.arrivals, time.Duration(ms)*time.Millisecond)
	}
	s.last = 10 * time.Second
	want := [10]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 3}
	if got := s.byTenth(); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A new phase starts from nothing.
	s.start(time.Now())
	if len(s.arrivals) != 0 {
		t.Fatalf("%d arrivals kept into a new phase", len(s.arrivals))
	}
}

// The machine's idle share is a fraction, and while this process keeps
// one core busy, at most what the other cores could leave (with room for
// the tick counts' coarseness).
func TestIdleShare(t *testing.T) {
	i0, t0 := machineTicks()
	if t0 <= 0 || i0 < 0 || i0 > t0 {
		t.Fatalf("ticks: idle %v of %v", i0, t0)
	}
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	idle := idleSince(i0, t0)
	if most := 1 - 0.5/float64(runtime.NumCPU()); idle < 0 || idle > most {
		t.Fatalf("idle share %v with a core busy, want within [0, %v]", idle, most)
	}
}
