package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(2, time.Minute, 3)
	now := time.Unix(0, 0)
	for i, want := range []verdict{allowed, allowed, limited, limited} {
		if got := l.allow("a", now); got != want {
			t.Errorf("event %d: %v, want %v", i, got, want)
		}
	}
	if l.allow("a", now.Add(time.Minute)) != allowed || l.allow("a", now.Add(time.Minute)) != limited {
		t.Error("not one more after a minute")
	}
	// Full: a new key is refused, and the limited key stays limited.
	l.allow("b", now)
	l.allow("c", now)
	if got := l.allow("d", now.Add(30*time.Second)); got != full {
		t.Errorf("a fourth key: %v, want full", got)
	}
	if got := l.allow("a", now.Add(90*time.Second)); got != limited {
		t.Errorf("the limited key after a refused one: %v", got)
	}
	// Keys go only once their bucket is full again: b and c a minute after
	// their one event; a, limited, stays with what it has used.
	if got := l.allow("d", now.Add(2*time.Minute)); got != allowed || len(l.due) != 2 {
		t.Errorf("after b and c refilled: %v, %d keys", got, len(l.due))
	}
	if l.allow("a", now.Add(2*time.Minute)) != allowed || l.allow("a", now.Add(2*time.Minute)) != limited {
		t.Error("a was forgotten: it got a fresh burst")
	}
}

// A full limiter refuses new keys without scanning its keys each time,
// and finds room again as soon as one expires.
func TestLimiterSweepsOnlyWhenAKeyCanExpire(t *testing.T) {
	l := newLimiter(10, time.Minute, 1000)
	now := time.Unix(0, 0)
	for i := range 1000 {
		l.allow(fmt.Sprint(i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if l.allow("new", now.Add(time.Second)) != full || !l.sweepAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("sweepAt %v", l.sweepAt)
	}
	if got := l.allow("new", now.Add(time.Minute)); got != allowed || len(l.due) != 1000 {
		t.Errorf("once key 0 expired: %v, %d keys", got, len(l.due))
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := ParseProxies("127.0.0.1/32, 10.0.0.0/8, fd00::/8, 192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		proxies     Proxies
		remote, xff string
		want        string
	}{
		{nil, "198.51.100.7:5000", "", "198.51.100.7"},
		{nil, "198.51.100.7:5000", "203.0.113.9", "198.51.100.7"},
		// No proxy is trusted by default, not even a local one.
		{nil, "127.0.0.1:5000", "203.0.113.9", "127.0.0.1"},
		{nil, "10.1.2.3:5000", "203.0.113.9", "10.1.2.3"},
		{trusted, "127.0.0.1:5000", "203.0.113.9", "203.0.113.9"},
		// From the right, past the trusted proxies: the client's own
		// entries further left are never read.
		{trusted, "127.0.0.1:5000", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"},
		{trusted, "[::ffff:127.0.0.1]:5000", "203.0.113.9:4711", "203.0.113.9"},
		{trusted, "[fd00::1]:5000", "[2001:db8::1]:4711", "2001:db8::1"},
		{trusted, "192.0.2.9:5000", "192.0.2.10", "192.0.2.10"},
		{trusted, "192.0.2.10:5000", "203.0.113.9", "192.0.2.10"},
		// Every entry trusted: the leftmost is the client.
		{trusted, "127.0.0.1:5000", "10.9.9.9, 10.0.0.2", "10.9.9.9"},
		// A broken chain: the last proxy reached stands for the client.
		{trusted, "127.0.0.1:5000", "203.0.113.9, garbage, 10.0.0.2", "10.0.0.2"},
		{trusted, "127.0.0.1:5000", "garbage", "127.0.0.1"},
		{trusted, "[2001:db8::1]:5000", "", "2001:db8::1"},
	} {
		h := &Handler{TrustedProxies: tc.proxies}
		r := httptest.NewRequest("POST", "/subscribe", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := h.clientIP(r); got != tc.want {
			t.Errorf("%s with %q (trusting %v): %s, want %s", tc.remote, tc.xff, tc.proxies, got, tc.want)
		}
	}
	// Proxies that add a header of their own rather than append.
	h := &Handler{TrustedProxies: trusted}
	r := httptest.NewRequest("POST", "/subscribe", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Add("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
	r.Header.Add("X-Forwarded-For", "10.0.0.2")
	if got := h.clientIP(r); got != "203.0.113.9" {
		t.Errorf("two headers: %s", got)
	}
	if a, b := clientKey("2001:db8:1:2:3::1"), clientKey("2001:db8:1:2:ffff::9"); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 keys %s %s", a, b)
	}
}

func TestParseProxies(t *testing.T) {
	if ps, err := ParseProxies(""); err != nil || len(ps) != 0 {
		t.Errorf("empty: %v %v", ps, err)
	}
	ps, err := ParseProxies(" 10.0.0.0/8 ,,::1, 192.168.1.7/16")
	if err != nil || fmt.Sprint(ps) != "[10.0.0.0/8 ::1/128 192.168.0.0/16]" {
		t.Errorf("list: %v %v", ps, err)
	}
	_, err = ParseProxies("10.0.0.0/8, 10.0.0.0/33, proxy.example.org")
	if err == nil || !strings.Contains(err.Error(), `"10.0.0.0/33" is not a CIDR`) ||
		!strings.Contains(err.Error(), `"proxy.example.org" is not a CIDR`) || !strings.Contains(err.Error(), "COMMUNIQUE_TRUSTED_PROXIES") {
		t.Errorf("bad entries: %v", err)
	}
}
