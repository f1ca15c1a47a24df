package dispatcher

import (
	"testing"
	"time"
)

// The feed pauses long enough for a quarter of the window to leave the
// queue, as fast as it left since the last count, within its bounds.
func TestPace(t *testing.T) {
	d := &Dispatcher{cfg: Config{Window: 10000}}
	for _, c := range []struct {
		name  string
		room  int
		since time.Duration // since the last count; 0: none yet
		want  time.Duration
	}{
		{"first count: the pause so far", 10000, 0, 250 * time.Millisecond},
		{"6,000 a second", 600, 100 * time.Millisecond, 416 * time.Millisecond},
		{"fast", 5000, 100 * time.Millisecond, minPause},
		{"slow", 100, 500 * time.Millisecond, maxPause},
		{"no room: the pause so far", 0, 500 * time.Millisecond, 250 * time.Millisecond},
	} {
		var counted time.Time
		if c.since > 0 {
			counted = time.Now().Add(-c.since)
		}
		got := d.pace(250*time.Millisecond, c.room, counted)
		// time.Since runs a little after counted was set.
		if got < c.want || got > c.want+c.want/20 {
			t.Errorf("%s: pause %v, want %v", c.name, got, c.want)
		}
	}
}
