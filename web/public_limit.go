package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a client network, an address), kept
// in memory and bounded: when full it forgets the buckets that have
// refilled, which are the same as new ones, and failing that the oldest.
type limiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	max     int
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter allows burst events per key at once, then one per every, for
// at most max keys.
func newLimiter(burst int, every time.Duration, max int) *limiter {
	return &limiter{every: every, burst: burst, max: max, buckets: map[string]*bucket{}}
}

// allow reports whether key may have one more event at now.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// evict drops the buckets that are full again, or the least recently seen
// one when none is.
func (l *limiter) evict(now time.Time) {
	refill := l.every * time.Duration(l.burst)
	var oldest string
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= refill {
			delete(l.buckets, k)
		} else if oldest == "" || b.seen.Before(l.buckets[oldest].seen) {
			oldest = k
		}
	}
	if len(l.buckets) >= l.max && oldest != "" {
		delete(l.buckets, oldest)
	}
}

// clientIP is the address of the client of r. A proxy on the same host or
// network (loopback or private address) is trusted to name the client in
// the last X-Forwarded-For entry, the one it added itself; anyone else's
// header is ignored, since a client could write any address there.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if addr.IsLoopback() || addr.IsPrivate() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			entries := strings.Split(xff[len(xff)-1], ",")
			if fwd, err := netip.ParseAddr(strings.TrimSpace(entries[len(entries)-1])); err == nil {
				addr = fwd
			}
		}
	}
	return addr.Unmap().String()
}

// clientKey is the rate-limit key of a client address: the address for
// IPv4, its /64 network for IPv6, since one subscriber line holds a whole
// /64 and could otherwise pick a fresh address for each request.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() {
		return ip
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
