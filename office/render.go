package office

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

//go:embed pages
var pagesFS embed.FS

// pages holds each page parsed with the layout. The files are part of
// the binary, so a broken one fails every test rather than a request.
var pages = parsePages("signin", "password", "reset", "message", "home", "profile", "token")

func parsePages(names ...string) map[string]*template.Template {
	base := template.Must(template.New("layout.html").ParseFS(pagesFS, "pages/layout.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(pagesFS, "pages/"+n+".html"))
	}
	return out
}

// page is what a template sees.
type page struct {
	Lang, Dir string
	title     string
	User      *users.User
	CSRF      string
	// Notice is a message about what just happened; Error one about the
	// form as a whole. Both are in the page's language.
	Notice, Error string
	problems      []problem
	values        map[string]string
	focus         string
	// langBase is the address the language links add ?lang= to.
	langBase *url.URL

	// What some pages show.
	Next, Action, Email, Name string
	Body, Link, LinkText      string
	Button                    string
	Tokens                    []users.Token
	Token                     *users.Token
	Secret                    string
	Roles                     []users.Role
	Languages                 []string
	// brand is the organisation's branding, for the header and footer.
	brand *branding.Branding
}

// problem is what is wrong with one field, said in the page's language.
type problem struct {
	Field, Label, Text string
}

// newPage starts a page in the language chosen for r and its user.
func (h *Handler) newPage(r *http.Request, title string) *page {
	return h.newPageFor(r, title, currentUser(r))
}

// newPageFor starts a page about who, in their language unless this
// browser chose another: the page of a link mailed to them, say.
func (h *Handler) newPageFor(r *http.Request, title string, who *users.User) *page {
	u := currentUser(r)
	lang := h.pageLanguage(r, who)
	base := &url.URL{Path: r.URL.Path}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		q.Del("lang")
		base.RawQuery = q.Encode()
	}
	pg := &page{Lang: lang, Dir: templates.Direction(lang), title: title, User: u, langBase: base, values: map[string]string{},
		brand: h.pageBrand(r)}
	if key, arg := h.takeFlash(r.Context()); key != "" {
		if arg != "" {
			pg.Notice = pg.T(key, arg)
		} else {
			pg.Notice = pg.T(key)
		}
	}
	return pg
}

// T returns a text of the catalog in the page's language.
func (p *page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// Title is the page's title.
func (p *page) Title() string { return p.T(p.title) }

// Problems lists what is wrong with the form, field by field.
func (p *page) Problems() []problem { return p.problems }

// Err is what is wrong with a field, or "".
func (p *page) Err(field string) string {
	for _, pr := range p.problems {
		if pr.Field == field {
			return pr.Text
		}
	}
	return ""
}

// Val is what the form held in a field, to show it again.
func (p *page) Val(field string) string { return p.values[field] }

// Focus reports whether a field should take the focus: the first with a
// problem, else the one the page names.
func (p *page) Focus(field string) bool {
	if len(p.problems) > 0 {
		return p.problems[0].Field == field
	}
	return p.focus == field
}

// problem records what is wrong with a field; label is its catalog key.
func (p *page) problem(field, label, text string) {
	p.problems = append(p.problems, problem{Field: field, Label: p.T(label), Text: text})
}

// afterID reads where a paged list starts, ?after=; anything but an id
// is a problem of the page's, and the list starts at its beginning.
func (p *page) afterID(q url.Values) int64 {
	a := q.Get("after")
	if a == "" {
		return 0
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n < 0 {
		p.problem("after", "releases_page", p.T("err_choice"))
		return 0
	}
	return n
}

// LangLink is one of the language links.
type LangLink struct {
	Code, Name, URL string
	Current         bool
}

// Langs are the links to this page in each language.
func (p *page) Langs() []LangLink {
	var out []LangLink
	for _, t := range languages {
		code := t.String()
		u := *p.langBase
		q := u.Query()
		q.Set("lang", code)
		u.RawQuery = q.Encode()
		out = append(out, LangLink{Code: code, Name: languageNames[code], URL: u.String(), Current: code == p.Lang})
	}
	return out
}

// LanguageName is a language's name in itself.
func (p *page) LanguageName(code string) string { return languageNames[code] }

// RoleName is a role's name in the page's language.
func (p *page) RoleName(r users.Role) string { return p.T("role_" + string(r)) }

// Date shows a time (or a *time.Time) in UTC, the same way in every
// language; nil is "".
func (p *page) Date(v any) string {
	var t time.Time
	switch v := v.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v == nil {
			return ""
		}
		t = *v
	default:
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

// TokenRole is the role the token form shows chosen: the one posted, else
// the user's own.
func (p *page) TokenRole() string {
	if r := p.values["token_role"]; r != "" {
		return r
	}
	if p.User != nil {
		return string(p.User.Role)
	}
	return ""
}

// field is what the "input" template draws: a label, a hint, the field's
// problem next to it, and the input.
type field struct {
	ID, Label, Type, Auto, Value, Hint, Err, Describe string
	Focus                                             bool
}

// Field describes an input; label is a catalog key. A password is never
// shown again.
func (p *page) Field(id, label, typ, auto string) field {
	return p.FieldHint(id, label, typ, auto, "")
}

// FieldHint describes an input with a hint (a catalog key).
func (p *page) FieldHint(id, label, typ, auto, hint string) field {
	f := field{ID: id, Label: p.T(label), Type: typ, Auto: auto, Err: p.Err(id), Focus: p.Focus(id)}
	if typ != "password" {
		f.Value = p.values[id]
	}
	var describe []string
	if hint != "" {
		f.Hint = p.T(hint)
		describe = append(describe, id+"-hint")
	}
	if f.Err != "" {
		describe = append(describe, id+"-error")
	}
	f.Describe = strings.Join(describe, " ")
	return f
}

// DisplayName is what to call the user signed in.
func (p *page) DisplayName() string {
	if p.User == nil {
		return ""
	}
	if p.User.Name != "" {
		return p.User.Name
	}
	return p.User.Email
}

// render writes a page, buffered, so that a template failure is a clean
// error page rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	if pg.CSRF == "" {
		pg.CSRF = h.csrfToken(r.Context())
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout.html", pg); err != nil {
		h.log.Error("render office page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message answers with a page that only says something.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, title, body string) {
	pg := h.newPage(r, title)
	pg.Body = pg.T(body)
	h.render(w, r, status, "message", pg)
}

// formExpired answers a form that did not come from this session's page.
func (h *Handler) formExpired(w http.ResponseWriter, r *http.Request) {
	pg := h.newPage(r, "err_csrf_title")
	pg.Body = pg.T("err_csrf_body")
	pg.Link, pg.LinkText = formPage(r.URL.Path), pg.T("err_csrf_again")
	h.render(w, r, http.StatusForbidden, "message", pg)
}

// formPage is the page that shows the form posted to path.
func formPage(path string) string {
	switch {
	case strings.HasPrefix(path, "/office/profile"):
		return "/office/profile"
	case path == "/office/signin", path == "/office/reset",
		strings.HasPrefix(path, "/office/welcome/"), strings.HasPrefix(path, "/office/reset/"):
		return path
	default:
		return "/office/"
	}
}

// failed answers a request the service could not serve. Errors a user can
// act on say so; anything else is logged and shown as a plain apology.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	status := communique.HTTPStatus(communique.ErrorCode(err))
	if status == http.StatusInternalServerError {
		h.log.Error("office request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		h.message(w, r, status, "error_title", "error_body")
		return
	}
	pg := h.newPage(r, "error_title")
	pg.Body = communique.ErrorMessage(err)
	h.render(w, r, status, "message", pg)
}

// sessionFailed answers when the session store cannot be reached.
func (h *Handler) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("office session store failed", "method", r.Method, "path", r.URL.Path, "error", err)
	http.Error(w, "The press office is unavailable; please try again in a moment.", http.StatusServiceUnavailable)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.message(w, r, http.StatusNotFound, "notfound_title", "notfound_body")
}

// serveCSS serves the office's only stylesheet.
func serveCSS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b, _ := pagesFS.ReadFile("pages/office.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}
