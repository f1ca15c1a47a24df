package dispatcher

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	th := throttle{interval: 200 * time.Millisecond}
	if now, _ := th.try(1, true); !now {
		t.Fatal("the first call must go at once")
	}
	now, after := th.try(1, true)
	if now || after <= 0 || after > 200*time.Millisecond {
		t.Fatalf("a call within the interval: now %v, after %v; want a trailing run within the interval", now, after)
	}
	if now, after := th.try(1, true); now || after != 0 {
		t.Fatalf("a second call within the interval: now %v, after %v; want nothing more", now, after)
	}
	if now, after := th.try(1, false); now || after != 0 {
		t.Fatalf("a call without trail: now %v, after %v", now, after)
	}
	if now, _ := th.try(2, false); !now {
		t.Fatal("another dispatch must go at once")
	}
	time.Sleep(after)
	if now, _ := th.try(1, true); !now {
		t.Fatal("a call after the interval must go at once")
	}
}
