// Package office serves the press office's pages under /office/: signing
// in and out, the welcome and password-reset links, the profile with its
// API tokens, the releases (list, editor, clearance, publishing,
// corrections, preview, live delivery view, report), contacts and
// administration. Pages are rendered on the server, in English, French,
// Spanish or Arabic, and work without scripts; a small script of ours
// adds the reader's time zone and the live view.
//
// Sessions live in PostgreSQL (the sessions table) and remember the user
// and the session epoch they began in: every request loads the user and
// ends the session when the user is disabled or the epoch moved (their
// password changed). Every form carries a per-session token, and every
// POST is refused when the token or the browser's Origin/Sec-Fetch-Site
// say it came from elsewhere.
package office

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/media"
	"github.com/communique/communique/users"
)

// Config is what the press office needs from the rest of the service.
type Config struct {
	DB     *sqlx.DB
	Logger *slog.Logger
	// BaseURL is the public URL of the service: links in mail start with
	// it, and session cookies are Secure unless it is plain http.
	BaseURL string
	// FromName and FromEmail are the sender of the reset links' mail,
	// which is queued for the dispatcher to send.
	FromName, FromEmail string
	// ClientIP names the client of a request, believing the proxies the
	// service trusts; the peer's address when nil.
	ClientIP func(*http.Request) string
	// Throttle bounds failed sign-ins per account and per client.
	Throttle users.Throttle
	// SessionCleanup is how often expired sessions are deleted from the
	// database; five minutes when zero.
	SessionCleanup time.Duration
	// ClearanceRequired refuses to publish a release that someone other
	// than its author has not cleared (COMMUNIQUE_CLEARANCE).
	ClearanceRequired bool
	// Media keeps releases' photos and documents; files in PostgreSQL
	// when nil.
	Media *media.Library
}

// Session lifetimes: a working day at most, and an idle hour and a half
// ends it sooner. A visitor who has not signed in keeps only a short
// session (for the form token and their language).
const (
	sessionLifetime = 12 * time.Hour
	sessionIdle     = 90 * time.Minute
	anonymousTTL    = time.Hour
)

// ResetLinkTTL is how long a password-reset link works.
const ResetLinkTTL = time.Hour

// cookieName is the session cookie; it is sent only to /office.
const cookieName = "communique_office"

// Handler serves /office/. Build it with New and Close it after the HTTP
// server has stopped.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	sessions *scs.SessionManager
	store    *sessionStore
	origins  *http.CrossOriginProtection
	jobs     *jobs
	mux      *http.ServeMux
	streams  *streams
	// imports holds a place for each contacts import running.
	imports chan struct{}
	closed  sync.Once
}

// New returns the press office's handler. It starts the sweep of expired
// sessions, which Close stops.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = peerIP
	}
	if cfg.SessionCleanup <= 0 {
		cfg.SessionCleanup = 5 * time.Minute
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	h := &Handler{cfg: cfg, log: cfg.Logger}

	h.store = newSessionStore(cfg.DB.DB, sessionLifetime, cfg.SessionCleanup, h.log)
	s := scs.New()
	s.Store = h.store
	s.Lifetime = sessionLifetime
	s.IdleTimeout = sessionIdle
	// The table holds only hashes: a copy of the database opens no session.
	s.HashTokenInStore = true
	s.Cookie.Name = cookieName
	s.Cookie.Path = "/office"
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = !strings.HasPrefix(cfg.BaseURL, "http:")
	// A browser session: closing the browser ends it.
	s.Cookie.Persist = false
	s.ErrorFunc = h.sessionFailed
	h.sessions = s

	h.origins = http.NewCrossOriginProtection()
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the public origin is still ours.
		h.origins.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	// A reset mail takes milliseconds; 64 waiting is a flood, not a queue.
	h.jobs = newJobs(h.log, 64, 2, time.Minute)
	h.streams = newStreams()
	h.imports = make(chan struct{}, maxImports)
	h.mux = h.routes()
	return h
}

// Close stops the sweep of expired sessions and waits for the mails the
// pages queued. Call it once the HTTP server has stopped, before closing
// the database; calling it again does nothing.
func (h *Handler) Close() {
	h.closed.Do(func() {
		h.jobs.close()
		h.store.Stop()
	})
}

// ServeHTTP serves a request for /office/….
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w.Header())
	if r.URL.Path == "/office/static/office.css" {
		// No session for the stylesheet: it would cost a write per page.
		serveCSS(w, r)
		return
	}
	h.sessions.LoadAndSave(h.identify(h.mux)).ServeHTTP(w, r)
}

func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /office/{$}", h.private(h.home))
	mux.Handle("GET /office/signin", h.open(h.signinPage))
	mux.Handle("POST /office/signin", h.open(h.signin))
	mux.Handle("POST /office/signout", h.private(h.signout))
	mux.Handle("GET /office/welcome/{token}", h.open(h.welcomePage))
	mux.Handle("POST /office/welcome/{token}", h.open(h.welcome))
	mux.Handle("GET /office/reset", h.open(h.resetPage))
	mux.Handle("POST /office/reset", h.open(h.requestReset))
	mux.Handle("GET /office/reset/{token}", h.open(h.resetLinkPage))
	mux.Handle("POST /office/reset/{token}", h.open(h.reset))
	mux.Handle("GET /office/profile", h.private(h.profile))
	mux.Handle("POST /office/profile", h.private(h.saveDetails))
	mux.Handle("POST /office/profile/password", h.private(h.changePassword))
	mux.Handle("POST /office/profile/tokens", h.private(h.createToken))
	mux.Handle("POST /office/profile/tokens/{id}/revoke", h.private(h.revokeToken))
	h.releaseRoutes(mux)
	h.moreRoutes(mux)
	h.mediaRoutes(mux)
	h.editorRoutes(mux)
	// Anything else: the sign-in page for a visitor, "not found" for a user.
	mux.Handle("/office/", h.private(h.notFound))
	return mux
}

// secure sets the headers every office page carries: never cached, never
// framed, no Referer (links hold tokens), nothing loaded from elsewhere.
func secure(hdr http.Header) {
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
}

// peerIP is the client of a request when no proxy is trusted.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
