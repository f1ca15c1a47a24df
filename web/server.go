// Package web serves the HTTP API, the public pages and the health and
// metrics endpoints.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/links"
	"github.com/communique/communique/media"
	"github.com/communique/communique/metrics"
)

// Handler holds the dependencies of every route.
type Handler struct {
	DB         *sqlx.DB
	Logger     *slog.Logger
	Signer     *links.Signer
	AdminToken string
	// Ready reports whether the service can do its work (database, NATS).
	Ready func(context.Context) error
	// Dev mounts development-only routes (the capture mailbox), if set.
	Dev http.Handler
	// From is the sender of the messages the service queues outside any
	// release (confirmations, preferences links, test sends), which the
	// dispatcher sends.
	FromName, FromEmail string
	// BaseURL is the public URL links in pages and mail start with.
	BaseURL string
	// Metrics are served at /metrics and count requests, when set.
	Metrics *metrics.Metrics
	// Imports bounds the contact imports run at once and their uploads.
	Imports ImportLimits
	// ClearanceRequired refuses to publish a release that someone other
	// than its author has not cleared.
	ClearanceRequired bool
	// MetricsElsewhere keeps /metrics off these routes, for a service
	// that serves it on a listener of its own.
	MetricsElsewhere bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (COMMUNIQUE_TRUSTED_PROXIES); none by default.
	TrustedProxies Proxies
	// Media keeps releases' photos and documents; files in PostgreSQL
	// when nil.
	Media *media.Library

	// public holds the public pages' limits and background work.
	public *public
}

// maxBody bounds JSON request bodies; CSV imports get their own limit.
const (
	maxBody   = 4 << 20
	maxImport = 512 << 20
)

// Routes returns the service's HTTP routes; each resource's file registers
// its own.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	h.releaseRoutes(mux)
	h.contactRoutes(mux)
	h.taxonomyRoutes(mux)
	h.templateRoutes(mux)
	h.userRoutes(mux)
	h.clearanceRoutes(mux)
	h.messageRoutes(mux)
	h.inboundRoutes(mux)
	h.mediaRoutes(mux)
	h.publicRoutes(mux)

	mux.HandleFunc("GET /healthz", h.Healthz)
	mux.HandleFunc("GET /readyz", h.Readyz)
	if h.Metrics != nil && !h.MetricsElsewhere {
		mux.Handle("GET /metrics", h.Metrics.Handler())
	}
	if h.Dev != nil {
		mux.Handle("/dev/", h.Dev)
		mux.Handle("GET /dev/mailbox.json", h.Dev)
	}
	return h.logged(mux)
}

// api registers an authenticated JSON endpoint.
func (h *Handler) api(mux *http.ServeMux, pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	mux.Handle(pattern, h.authorized(pattern, fn))
}

// Healthz answers 200 while the process runs: a liveness probe.
func (h *Handler) Healthz(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }

// Readyz answers 200 while the service can do its work and 503 once it
// cannot, or has begun to shut down: a readiness probe.
func (h *Handler) Readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if h.Ready != nil {
		if err := h.Ready(ctx); err != nil {
			h.Logger.Warn("not ready", "error", err)
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
	}
	io.WriteString(w, "ready\n")
}

type errorBody struct {
	Error   string   `json:"error"`
	Details []string `json:"details"`
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := communique.ErrorCode(err)
	if code == communique.EINTERNAL {
		h.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	details := communique.ErrorDetails(err)
	if details == nil {
		details = []string{}
	}
	writeJSON(w, communique.HTTPStatus(code), errorBody{Error: communique.ErrorMessage(err), Details: details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// readJSON decodes a bounded JSON body, rejecting unknown fields so a typo
// in a field name is an error rather than silently ignored.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return communique.Invalid("invalid JSON body", []string{describeJSONError(err)})
	}
	if dec.More() {
		return communique.Invalid("invalid JSON body", []string{"body: more than one JSON value"})
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("body: syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: expected %s, got JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.As(err, &tooBig):
		return fmt.Sprintf("body: larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return "body: empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") // names the field
	default:
		return "body: " + err.Error()
	}
}

func pathID(r *http.Request) (int64, error) { return pathIDOf(r, "release") }

// pathIDOf reads the {id} of a path naming a kind of thing.
func pathIDOf(r *http.Request, kind string) (int64, error) { return pathParamID(r, "id", kind) }

// pathParamID reads the path parameter name as the id of a kind of
// thing, for paths that carry more than one id.
func pathParamID(r *http.Request, name, kind string) (int64, error) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, communique.Invalid("invalid id", []string{fmt.Sprintf("%s: %q is not a %s id", name, s, kind)})
	}
	return id, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (h *Handler) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// The mux has set the route pattern on r by now.
		h.Metrics.Request(r.Pattern, rec.status)
		h.Logger.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds())
	})
}
