package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the networks of the reverse proxies in front of the service.
// Only a request that comes from one of them has its X-Forwarded-For
// believed: anyone else could write any address there, to dodge the rate
// limits or to have it stored as a subscriber's consent address.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs
// (COMMUNIQUE_TRUSTED_PROXIES); a bare address stands for itself alone.
// An empty list trusts no proxy. The error names each entry it refuses.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	var bad []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(f); err == nil && a.Zone() == "" {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			bad = append(bad, fmt.Sprintf("%q is not a CIDR (such as 10.0.0.0/8 or fd00::/8)", f))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("COMMUNIQUE_TRUSTED_PROXIES: %s", strings.Join(bad, "; "))
	}
	return out, nil
}

// trusts reports whether a is the address of a trusted proxy.
func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address of the client of r. The peer is the client
// unless it is a trusted proxy; then X-Forwarded-For is read from the
// right, where each proxy appended the peer it saw, past the trusted
// proxies to the first address that is not one. Entries further left
// were written by the client and are never read. When every entry is a
// trusted proxy the leftmost is the client; when an entry is not an
// address, the chain is broken and the last proxy reached stands for the
// client.
func (h *Handler) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !h.TrustedProxies.trusts(addr) {
		return addr.String()
	}
	entries := forwardedFor(r.Header)
	for i := len(entries) - 1; i >= 0; i-- {
		fwd, ok := parseForwarded(entries[i])
		if !ok {
			break
		}
		addr = fwd
		if !h.TrustedProxies.trusts(fwd) {
			break
		}
	}
	return addr.String()
}

// forwardedFor lists the X-Forwarded-For entries of every such header, in
// order: proxies may add a header of their own rather than append.
func forwardedFor(hdr http.Header) []string {
	var out []string
	for _, v := range hdr.Values("X-Forwarded-For") {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

// parseForwarded reads one X-Forwarded-For entry, which some proxies
// write with a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseForwarded(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
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
