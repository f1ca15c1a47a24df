package office

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// releasePages are the pages about releases, parsed with the layout like
// the others.
var releasePages = parseReleasePages("releases", "editor", "release", "preview", "forbidden")

// parseReleasePages parses pages as parsePages does, with a helper that
// lists the fields a template repeats.
func parseReleasePages(names ...string) map[string]*template.Template {
	funcs := template.FuncMap{"list": func(s ...string) []string { return s }}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(pagesFS, "pages/layout.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(pagesFS, "pages/"+n+".html"))
	}
	return out
}

// releaseRoutes registers the pages that write, clear, publish and watch
// releases.
func (h *Handler) releaseRoutes(mux *http.ServeMux) {
	mux.Handle("GET /office/static/releases.js", http.HandlerFunc(serveJS))
	mux.Handle("GET /office/releases", h.private(h.needs(users.ReadReleases, h.releaseList)))
	mux.Handle("GET /office/releases/new", h.private(h.needs(users.WriteReleases, h.newRelease)))
	mux.Handle("POST /office/releases/new", h.private(h.needs(users.WriteReleases, h.saveNew)))
	mux.Handle("GET /office/releases/{id}", h.private(h.needs(users.ReadReleases, h.releasePage)))
	mux.Handle("GET /office/releases/{id}/edit", h.private(h.needs(users.WriteReleases, h.editRelease)))
	mux.Handle("POST /office/releases/{id}/edit", h.private(h.needs(users.WriteReleases, h.saveEdit)))
	mux.Handle("GET /office/releases/{id}/preview", h.private(h.needs(users.ReadReleases, h.previewPage)))
	mux.Handle("GET /office/releases/{id}/preview/{message}/{lang}", h.private(h.needs(users.ReadReleases, h.previewFrame)))
	mux.Handle("POST /office/releases/{id}/test", h.private(h.needs(users.WriteReleases, h.testSend)))
	mux.Handle("GET /office/releases/{id}/events", h.private(h.needs(users.ReadReleases, h.releaseEvents)))
	for action, right := range actionRights {
		mux.Handle("POST /office/releases/{id}/"+action, h.private(h.needs(right, h.releaseAction(action))))
	}
}

// actionRights is the right each action on a release needs, as the API's
// routes need them.
var actionRights = map[string]users.Right{
	"submit":   users.WriteReleases,
	"publish":  users.WriteReleases,
	"delete":   users.WriteReleases,
	"clear":    users.ClearReleases,
	"return":   users.ClearReleases,
	"lift":     users.ClearReleases,
	"postpone": users.ClearReleases,
	"recall":   users.ClearReleases,
}

type userHandler = func(http.ResponseWriter, *http.Request, *users.User)

// needs refuses, with 403 and the role needed, a user without right.
func (h *Handler) needs(right users.Right, fn userHandler) userHandler {
	return func(w http.ResponseWriter, r *http.Request, u *users.User) {
		if !u.Role.Can(right) {
			h.forbidden(w, r, right)
			return
		}
		fn(w, r, u)
	}
}

// forbidden answers 403, naming the role the action needs in the page's
// language.
func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request, right users.Right) {
	v := h.relView(r, "forbidden_title")
	v.Body = v.T("forbidden_body", v.RoleName(users.Need(right)), v.RoleName(v.User.Role))
	h.renderRel(w, r, http.StatusForbidden, "forbidden", v)
}

// relView is what the release pages' templates see: a page, and the
// parts each release page fills.
type relView struct {
	*page
	loc *time.Location

	// The list.
	List          []releases.Summary
	Status, Query string
	Next          string
	StatusChoices []string
	ReleaseID     int64
	Rel           *releases.Release
	Audience      *releases.Audience
	// AudiencePending says the page's script fetches the audience.
	AudiencePending bool
	Report          *releases.Report
	Progress        *releases.Progress
	Actions         []action
	PublishText     string
	Previews        []previewCell
	Form            *editorForm
	PressOfficers   []contacts.Contact
	RegionChoices   []choice
	CountryChoices  []choice
	TopicChoices    []choice
}

// relView starts a release page in the viewer's time zone; a posted form
// is read in the zone it was shown in, which the browser may since have
// told us otherwise.
func (h *Handler) relView(r *http.Request, title string) *relView {
	loc := viewerZone(r)
	if z := r.PostFormValue("zone"); r.Method == http.MethodPost && z != "" && z != "Local" && len(z) <= 64 {
		if l, err := time.LoadLocation(z); err == nil {
			loc = l
		}
	}
	return &relView{page: h.newPage(r, title), loc: loc}
}

// tzCookie holds the browser's time zone, which a script of ours sets.
const tzCookie = "office_tz"

// viewerZone is the time zone the browser said it is in, else UTC.
func viewerZone(r *http.Request) *time.Location {
	c, err := r.Cookie(tzCookie)
	if err != nil || c.Value == "" || c.Value == "Local" || len(c.Value) > 64 {
		return time.UTC
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Zone is the name of the viewer's time zone.
func (v *relView) Zone() string { return v.loc.String() }

// Local shows a time in the viewer's zone, then in UTC unless that is
// the viewer's zone; nil is "".
func (v *relView) Local(t *time.Time) string {
	if t == nil {
		return ""
	}
	utc := t.UTC().Format("2006-01-02 15:04") + " UTC"
	if v.loc == time.UTC {
		return utc
	}
	return t.In(v.loc).Format("2006-01-02 15:04") + " " + v.loc.String() + " (" + utc + ")"
}

// StatusName names a release status or clearance state.
func (v *relView) StatusName(s string) string { return v.T("status_" + s) }

// ShownStatus is the state a release is in, a draft by its clearance.
func ShownStatus(status, clearance string) string {
	if status == releases.StatusDraft && clearance != "" && clearance != releases.ClearanceNone {
		return clearance
	}
	return status
}

// Shown is ShownStatus for the templates.
func (v *relView) Shown(status, clearance string) string { return ShownStatus(status, clearance) }

// Count formats a number with the page language's grouping.
func (v *relView) Count(n int) string {
	s := strconv.Itoa(n)
	if n < 1000 && n > -1000 {
		return s
	}
	sep := ","
	switch v.Lang {
	case "fr":
		sep = "\u202f"
	case "es":
		sep = "."
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' && s[i-1] != '-' {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// renderRel writes a release page, buffered as render does, with a policy
// that lets our own script run.
func (h *Handler) renderRel(w http.ResponseWriter, r *http.Request, status int, name string, v *relView) {
	h.renderFrom(w, r, status, releasePages, name, v, v)
}

// scriptPolicy is the office's policy with our own scripts allowed: the
// time-zone cookie, the live delivery view.
const scriptPolicy = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// relFailed answers an error on a release page: a problem the user can
// act on in the page's language, anything else as failed does.
func (h *Handler) relFailed(w http.ResponseWriter, r *http.Request, err error) {
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		h.message(w, r, http.StatusNotFound, "notfound_title", "release_notfound")
		return
	}
	h.failed(w, r, err)
}

// releaseList shows releases newest first, a page at a time.
func (h *Handler) releaseList(w http.ResponseWriter, r *http.Request, u *users.User) {
	q := r.URL.Query()
	v := h.relView(r, "releases_title")
	v.Status, v.Query = q.Get("status"), strings.TrimSpace(q.Get("q"))
	v.StatusChoices = []string{releases.StatusDraft, releases.ClearanceSubmitted, releases.ClearanceCleared,
		releases.ClearanceReturned, releases.StatusEmbargoed, releases.StatusPublished, releases.StatusRecalled}
	f := releases.ListFilter{Status: v.Status, Query: v.Query, Limit: 25}
	f.AfterID = v.afterID(q)
	if f.Status != "" && !slices.Contains(v.StatusChoices, f.Status) {
		v.problem("status", "filter_status", v.T("err_choice"))
		f.Status = ""
	}
	list, next, err := releases.List(r.Context(), h.cfg.DB, f)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.List = list
	if next != 0 {
		nq := url.Values{"after": {strconv.FormatInt(next, 10)}}
		if v.Status != "" {
			nq.Set("status", v.Status)
		}
		if v.Query != "" {
			nq.Set("q", v.Query)
		}
		v.Next = "/office/releases?" + nq.Encode()
	}
	status := http.StatusOK
	if len(v.problems) > 0 {
		status = http.StatusBadRequest
	}
	h.renderRel(w, r, status, "releases", v)
}

// releaseID reads the release id of the path; a malformed one is as
// unknown as a missing one.
func releaseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, communique.Errorf(communique.ENOTFOUND, "no release %q", r.PathValue("id"))
	}
	return id, nil
}

// lifecycle is the releases' life cycle under this office's settings.
func (h *Handler) lifecycle() *releases.Lifecycle {
	return &releases.Lifecycle{DB: h.cfg.DB, ClearanceRequired: h.cfg.ClearanceRequired}
}

// actor names the user in the audit log, as the API names them.
func actor(u *users.User) string { return "user:" + u.Email }

// previewMessages are the messages the preview page shows.
var previewMessages = []string{templates.VariantPublic, templates.VariantEmbargoed, templates.VariantCorrection, templates.VariantRecall}

// serveJS serves the release pages' script.
func serveJS(w http.ResponseWriter, r *http.Request) {
	b, _ := pagesFS.ReadFile("pages/releases.js")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(b)
}
