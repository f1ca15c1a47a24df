package mailer

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestLimiterNeverExceedsRateInAnyWindow(t *testing.T) {
	for _, rate := range []float64{14, 50, 2.5} {
		l := NewLimiter(rate)
		var mu sync.Mutex
		var starts []time.Time
		var wg sync.WaitGroup
		n := int(rate * 1.6)
		for i := 0; i < 6; i++ { // concurrent callers, like connections
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < n/6+1; j++ {
					if err := l.Wait(context.Background()); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					starts = append(starts, time.Now())
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		max := int(rate)
		if max < 1 {
			max = 1
		}
		window := time.Duration(float64(max) / rate * float64(time.Second))
		sortTimes(starts)
		for i := range starts {
			if i+max < len(starts) && starts[i+max].Sub(starts[i]) < window {
				t.Fatalf("rate %g: %d starts within %v (from %d)", rate, max+1, starts[i+max].Sub(starts[i]), i)
			}
		}
		// And it is not needlessly slow: each full window is used.
		span := starts[len(starts)-1].Sub(starts[0])
		windows := (len(starts)+max-1)/max - 1
		ideal := time.Duration(windows) * (window + margin)
		if span > ideal+100*time.Millisecond {
			t.Errorf("rate %g: %d starts took %v, ideal %v", rate, len(starts), span, ideal)
		}
	}
}

// Now takes a start only when one is free, so callers mixing it with
// Wait keep the rate.
func TestLimiterNowKeepsTheRate(t *testing.T) {
	l := NewLimiter(10)
	var mu sync.Mutex
	var starts []time.Time
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				if !l.Now() {
					l.Wait(context.Background())
				}
				mu.Lock()
				starts = append(starts, time.Now())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sortTimes(starts)
	for i := range starts {
		if i+10 < len(starts) && starts[i+10].Sub(starts[i]) < time.Second {
			t.Fatalf("11 starts within %v (from %d)", starts[i+10].Sub(starts[i]), i)
		}
	}
	if !NewLimiter(1).Now() {
		t.Fatal("a fresh limiter has a start free")
	}
}

func TestLimiterNil(t *testing.T) {
	if l := NewLimiter(0); l != nil || l.Wait(context.Background()) != nil || !l.Now() {
		t.Fatal("rate 0 must mean no limit")
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
