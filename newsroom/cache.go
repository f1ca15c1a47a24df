package newsroom

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// version changes the validators when the pages themselves change.
const version = "1"

// etag makes a strong validator of the parts a response depends on.
func etag(parts ...string) string {
	sum := sha256.Sum256([]byte(version + "\x00" + strings.Join(parts, "\x00")))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// fresh sets the validators and the caching rule, and answers 304 when
// the client's copy is current. Caches must ask every time ("no-cache"):
// a recall or a correction has to reach readers at once, and a 304 costs
// one small query.
func fresh(w http.ResponseWriter, r *http.Request, tag string, modified time.Time) bool {
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "public, no-cache")
	h.Add("Vary", "Accept-Language")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		// When both are sent, If-None-Match decides (RFC 9110, 13.2.2).
		if matches(inm, tag) {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// matches compares an If-None-Match list with tag, weakly, as GET does.
func matches(list, tag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == tag {
			return true
		}
	}
	return false
}
