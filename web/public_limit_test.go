package web

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(2, time.Minute, 3)
	now := time.Unix(0, 0)
	for i, want := range []bool{true, true, false} {
		if got := l.allow("a", now); got != want {
			t.Errorf("event %d: %v", i, got)
		}
	}
	if !l.allow("a", now.Add(time.Minute)) {
		t.Error("not refilled after a minute")
	}
	// Bounded: a fourth key evicts one, preferring those that refilled.
	l.allow("b", now)
	l.allow("c", now.Add(3*time.Minute))
	l.allow("d", now.Add(3*time.Minute))
	if len(l.buckets) > 3 {
		t.Errorf("%d buckets, at most 3", len(l.buckets))
	}
	if _, ok := l.buckets["d"]; !ok {
		t.Error("the new key was not kept")
	}
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct{ remote, xff, want string }{
		{"198.51.100.7:5000", "", "198.51.100.7"},
		{"198.51.100.7:5000", "203.0.113.9", "198.51.100.7"}, // a client's own header is ignored
		{"127.0.0.1:5000", "10.0.0.1, 203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		{"127.0.0.1:5000", "garbage", "127.0.0.1"},
		{"[2001:db8::1]:5000", "", "2001:db8::1"},
	} {
		r := httptest.NewRequest("POST", "/subscribe", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientIP(r); got != tc.want {
			t.Errorf("%s with %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if a, b := clientKey("2001:db8:1:2:3::1"), clientKey("2001:db8:1:2:ffff::9"); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 keys %s %s", a, b)
	}
}
