package newsroom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// version changes the validators when the pages themselves change.
const version = "2"

// Responses are kept while nothing public changes, and at most cacheTTL:
// the names of regions and topics can change without a release
// changing.
const (
	cacheEntries = 2048
	cacheTTL     = time.Minute
)

// etag makes a strong validator of the parts a response depends on.
func etag(parts ...string) string {
	sum := sha256.Sum256([]byte(version + "\x00" + strings.Join(parts, "\x00")))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// validators sets a response's ETag and Last-Modified. Caches must ask
// every time ("no-cache"): a recall or a correction has to reach readers
// at once, and a 304 costs one small query.
func validators(w http.ResponseWriter, tag string, modified time.Time) {
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "public, no-cache")
	h.Set("Vary", "Accept-Language")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
}

// notModified reports whether the client's copy, as its conditional
// headers describe it, is current.
func notModified(r *http.Request, tag, modified string) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		// When both are sent, If-None-Match decides (RFC 9110, 13.2.2).
		return tag != "" && matches(inm, tag)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || modified == "" {
		return false
	}
	t, err1 := http.ParseTime(ims)
	m, err2 := http.ParseTime(modified)
	return err1 == nil && err2 == nil && !m.After(t)
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

// response is a rendered answer, kept for as long as its stamp is
// current.
type response struct {
	stamp  string
	at     time.Time
	status int
	header http.Header
	body   []byte
}

// write sends the response, or 304 when the client has it.
func (c *response) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range c.header {
		h[k] = slices.Clone(v) // the entry serves other requests at once
	}
	if c.status == http.StatusOK && notModified(r, c.header.Get("ETag"), c.header.Get("Last-Modified")) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(c.status)
	w.Write(c.body)
}

// responses keeps rendered pages, feeds and the sitemap by request.
type responses struct {
	mu  sync.RWMutex
	m   map[string]*response
	max int
	ttl time.Duration
}

func newResponses(max int, ttl time.Duration) *responses {
	return &responses{m: map[string]*response{}, max: max, ttl: ttl}
}

func (c *responses) get(key, stamp string) *response {
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e == nil || e.stamp != stamp || time.Since(e.at) > c.ttl {
		return nil
	}
	return e
}

func (c *responses) put(key string, e *response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Whatever was kept belongs to an older stamp or to rare
		// queries: starting over is cheaper than tracking use.
		clear(c.m)
	}
	c.m[key] = e
}

// capture records what a handler writes.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

// cached serves a GET from what was rendered while nothing public has
// changed since, which one small query tells; only answers of 200 are
// kept, so unknown addresses cannot fill the cache.
func (h *Handler) cached(next func(http.ResponseWriter, *http.Request, stamp)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := getStamp(r.Context(), h.cfg.DB)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		sk := st.key()
		key := r.URL.Path + "?" + r.URL.RawQuery + "\x00" + r.Header.Get("Accept-Language")
		if e := h.cache.get(key, sk); e != nil {
			e.write(w, r)
			return
		}
		c := &capture{header: http.Header{}}
		next(c, r, st)
		if c.status == 0 {
			c.status = http.StatusOK
		}
		e := &response{stamp: sk, at: time.Now(), status: c.status, header: c.header, body: c.body.Bytes()}
		if e.status == http.StatusOK {
			h.cache.put(key, e)
		}
		e.write(w, r)
	}
}
