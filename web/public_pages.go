package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/communique/communique/branding"
)

//go:embed pages
var pagesFS embed.FS

// public serves the public pages: subscribe, confirm, preferences and
// unsubscribe. It holds what those pages keep between requests, so that
// every Handler has its own.
type public struct {
	h     *Handler
	pages map[string]*template.Template
	// byClient bounds the requests that lead to a mail per client network.
	// The mails to one address are capped in the database (contacts), where
	// neither a restart nor a flood of requests resets the count.
	byClient *limiter
	// background does the work whose cost depends on the address after
	// the answer, so the answer's timing tells nothing about it.
	background *background
	now        func() time.Time
}

// Token lifetimes. Unsubscribe links never expire (RFC 8058 links live in
// old mail); the others are minted when sent or shown.
const (
	confirmTTL     = 72 * time.Hour
	preferencesTTL = 7 * 24 * time.Hour
)

func newPublic(h *Handler) *public {
	return &public{
		h:     h,
		pages: parsePages(),
		// Ten requests at once from one network, then one every six
		// minutes, for up to 10,000 networks at a time.
		byClient: newLimiter(10, 6*time.Minute, 10_000),
		// A mail takes milliseconds; 256 waiting is a flood, not a queue.
		background: newBackground(h.Logger, 256, 4, time.Minute),
		now:        time.Now,
	}
}

// publicRoutes registers the public pages, localized in English, French,
// Spanish and Arabic: subscribe, confirm, preferences and unsubscribe.
func (h *Handler) publicRoutes(mux *http.ServeMux) {
	if h.public == nil {
		h.public = newPublic(h)
	}
	p := h.public
	mux.HandleFunc("GET /subscribe", p.subscribeForm)
	mux.HandleFunc("POST /subscribe", p.subscribe)
	mux.HandleFunc("GET /confirm/{token}", p.confirmPage)
	mux.HandleFunc("POST /confirm/{token}", p.confirm)
	mux.HandleFunc("GET /preferences/{token}", p.preferencesPage)
	mux.HandleFunc("POST /preferences/{token}", p.savePreferences)
	mux.HandleFunc("GET /unsubscribe/{token}", p.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe/{token}", p.unsubscribe)
	mux.HandleFunc("POST /unsubscribe/{token}/preferences", p.mailPreferencesLink)
	mux.HandleFunc("GET /branding/logo", p.logo)
	mux.HandleFunc("GET /assets/public.css", p.asset("public.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /assets/public.js", p.asset("public.js", "text/javascript; charset=utf-8"))
	h.engagementRoutes(mux)
}

var pageFuncs = template.FuncMap{
	"t":  translate,
	"tf": translateWith,
}

// parsePages parses each page with the layout and the form's choices.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(pageFuncs).
		ParseFS(pagesFS, "pages/layout.html", "pages/choices.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"subscribe", "sent", "message", "confirm", "preferences", "unsubscribe"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(pagesFS, "pages/"+name+".html"))
	}
	return out
}

// translateWith is translate with the address (or other value) put in the
// text's %s, isolated so that a left-to-right address keeps its order in
// a right-to-left sentence.
func translateWith(lang, key, arg string) template.HTML {
	before, after, ok := strings.Cut(translate(lang, key), "%s")
	if !ok {
		return template.HTML(template.HTMLEscapeString(before))
	}
	return template.HTML(template.HTMLEscapeString(before) + `<bdi dir="ltr">` +
		template.HTMLEscapeString(arg) + `</bdi>` + template.HTMLEscapeString(after))
}

// page is what every public page's template sees.
type page struct {
	Lang, Dir string
	// Org names the sender (the media office): the branding's name, else
	// the sender's, else empty. LogoURL, Footer and Address are the rest
	// of the branding, each empty when not set.
	Org             string
	LogoURL         string
	Footer, Address []string
	// Title is the key of the page's heading.
	Title string
	Langs []langLink
	// Action is the URL the page's form posts to, with its language.
	Action string
	CSRF   string
	// Errors are keys of problems to show above the form; Details are
	// problems in English that only a forged form can cause.
	Errors, Details []string
	// Problems are the form's fields in error, each shown next to its
	// field and named above the form.
	Problems []fieldProblem
	// LinkAction is the URL of the unsubscribe page's second form, which
	// mails a link to the preferences.
	LinkAction string
	// Notice is the key of a message shown above the content.
	Notice string
	Email  string
	Status string
	// Body is the key of the text of a message page; Links follow it.
	Body  string
	Links []pageLink
	Form  *formView
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

type pageLink struct {
	URL, Key string
	// Button shows the link as the page's main action.
	Button bool
}

// newPage starts the page data for r in lang.
func (p *public) newPage(r *http.Request, lang, title string) *page {
	pg := &page{Lang: lang, Dir: direction(lang), Org: p.h.FromName, Title: title, Action: withLang(r.URL.Path, lang)}
	if b := p.brand(r.Context()); !b.Empty() {
		if b.Name != "" {
			pg.Org = b.Name
		}
		pg.LogoURL = b.LogoURL("")
		pg.Footer, pg.Address = branding.Lines(b.FooterFor(lang)), b.AddressLines()
	}
	for _, t := range pageLanguages {
		code := t.String()
		pg.Langs = append(pg.Langs, langLink{Code: code, Name: languageName(code), URL: withLang(r.URL.Path, code), Current: code == lang})
	}
	return pg
}

func withLang(path, lang string) string {
	return path + "?lang=" + url.QueryEscape(lang)
}

// render writes the page with status. Public pages carry personal data
// and single-use tokens, so they are never cached, never framed, and never
// leak their URL to another site through Referer.
func (p *public) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout.html", pg); err != nil {
		p.h.Logger.Error("render public page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Language", pg.Lang)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page that only says something: an invalid link, an
// error, a limit reached.
func (p *public) message(w http.ResponseWriter, r *http.Request, status int, lang, title, body string, links ...pageLink) {
	pg := p.newPage(r, lang, title)
	pg.Body, pg.Links = body, links
	p.render(w, r, status, "message", pg)
}

func (p *public) invalidLink(w http.ResponseWriter, r *http.Request, lang string) {
	p.message(w, r, http.StatusNotFound, lang, "invalid_title", "invalid_body",
		pageLink{URL: withLang("/subscribe", lang), Key: "subscribe_again"})
}

func (p *public) failed(w http.ResponseWriter, r *http.Request, lang string, err error) {
	p.h.Logger.Error("public page", "method", r.Method, "path", redactToken(r.URL.Path), "error", err)
	p.message(w, r, http.StatusServiceUnavailable, lang, "error_title", "error_body")
}

// redactToken shortens the token of a public page's path for logs: whoever
// reads the log must not be able to unsubscribe or edit a subscriber.
func redactToken(path string) string {
	parts := strings.SplitN(path, "/", 3)
	if len(parts) == 3 && len(parts[2]) > 8 {
		return "/" + parts[1] + "/" + parts[2][:8] + "…"
	}
	return path
}

// link is the absolute URL of a public page.
func (p *public) link(path, lang string) string {
	return strings.TrimRight(p.h.BaseURL, "/") + withLang(path, lang)
}

// asset serves one of the pages' files: the stylesheet or the script.
func (p *public) asset(name, contentType string) http.HandlerFunc {
	b, err := pagesFS.ReadFile("pages/" + name)
	if err != nil {
		panic(err) // embedded: cannot happen in a binary that built
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
	}
}
