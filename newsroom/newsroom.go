// Package newsroom serves the public newsroom: the home page listing
// public releases (by region, country, topic and language, with search),
// each release's page in every language it has, Atom feeds per language
// and a sitemap. Pages are rendered on the server, phone first, right to
// left for Arabic, and load nothing but their own stylesheet.
//
// A release is on the newsroom from the moment the life cycle makes it
// published (for an embargoed release, the scheduler's lift) and never
// before; the database is all the newsroom reads, so a restart changes
// nothing.
package newsroom

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/links"
	"github.com/communique/communique/media"
)

//go:embed pages
var pagesFS embed.FS

// Config is what the newsroom needs from the rest of the service.
type Config struct {
	DB     *sqlx.DB
	Logger *slog.Logger
	// BaseURL is the public URL of the service: canonical links, feeds
	// and the sitemap start with it.
	BaseURL string
	// Organisation names who publishes, on every page and feed.
	Organisation string
	// Signer checks the private preview links of embargoed notices; no
	// preview is served without it.
	Signer *links.Signer
	// Media has the files of releases' photos and documents; kept in
	// PostgreSQL when nil.
	Media *media.Library
}

// Handler serves the newsroom's routes; mount it for "GET /{$}",
// the patterns Patterns lists.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	css   []byte
	mux   *http.ServeMux
	cache *responses
	media *media.Library
}

// Patterns are the routes the newsroom answers, for the service's mux.
func Patterns() []string {
	return []string{"GET /{$}", "GET /releases/{slug}", "GET /feeds/{file}", "GET /sitemap.xml", "GET /newsroom/newsroom.css", "GET /preview/{token}",
		"GET /media/{id}/{rendition}/{name}", "GET /preview/{token}/media/{id}/{rendition}/{name}"}
}

// New returns the newsroom's handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Organisation == "" {
		cfg.Organisation = "Media Office"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	h := &Handler{cfg: cfg, log: cfg.Logger, pages: parsePages(), cache: newResponses(cacheEntries, cacheTTL)}
	css, err := pagesFS.ReadFile("pages/newsroom.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	h.css = css
	h.media = cfg.Media
	if h.media == nil {
		h.media = media.New(cfg.DB, nil, cfg.Logger)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.cached(h.home))
	mux.HandleFunc("GET /releases/{slug}", h.cached(h.release))
	mux.HandleFunc("GET /feeds/{file}", h.cached(h.feed))
	mux.HandleFunc("GET /sitemap.xml", h.cached(h.sitemap))
	mux.HandleFunc("GET /newsroom/newsroom.css", h.stylesheet)
	mux.HandleFunc("GET /preview/{token}", h.preview)
	mux.HandleFunc("GET /media/{id}/{rendition}/{name}", h.mediaFile)
	mux.HandleFunc("GET /preview/{token}/media/{id}/{rendition}/{name}", h.previewMedia)
	h.mux = mux
	return h
}

// ServeHTTP serves a newsroom request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src https: 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.mux.ServeHTTP(w, r)
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"langName": languageName, "releaseURL": releasePath}
	out := map[string]*template.Template{}
	for _, name := range []string{"home", "release", "message"} {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(pagesFS, "pages/layout.html", "pages/"+name+".html"))
		out[name] = t
	}
	return out
}

// render writes page name with status, or logs why it could not.
func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, data); err != nil {
		h.log.Error("newsroom page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *Handler) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(h.css)
}

// fail answers an unexpected error: logged, and a plain 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("newsroom request failed", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
