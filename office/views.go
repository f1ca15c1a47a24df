package office

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/communique/communique/users"
)

// morePages are the pages that go beyond releases: corrections, reports,
// contacts and administration. Each view embeds a relView, so the layout
// and the catalog work as on the release pages.
var morePages = parseReleasePages("correct", "report", "contacts", "contact", "import", "suppressions", "admin_users", "admin_tokens", "admin_taxonomy", "admin_audit", "admin_branding", "admin_templates")

// moreRoute is a page or action beyond writing and publishing, and the
// right it needs: the right its API route needs (web/auth.go's
// routeRights), so that the pages and the API never disagree.
type moreRoute struct {
	pattern string
	right   users.Right
	handle  func(*Handler, http.ResponseWriter, *http.Request, *users.User)
}

// moreRouteTable is every such route; the role tests go through it.
var moreRouteTable = []moreRoute{
	{"GET /office/releases/{id}/correct", users.ClearReleases, (*Handler).correctPage},
	{"POST /office/releases/{id}/correct", users.ClearReleases, (*Handler).correct},
	{"GET /office/releases/{id}/report", users.ReadReleases, (*Handler).report},
	{"GET /office/releases/{id}/deliveries.csv", users.ReadReleases, (*Handler).deliveriesCSV},
	{"GET /office/contacts", users.ReadContacts, (*Handler).contactList},
	{"GET /office/missions", users.ReadContacts, (*Handler).missionList},
	{"GET /office/contacts/export", users.ReadContacts, (*Handler).exportContacts},
	{"GET /office/contacts/import", users.ManageContacts, (*Handler).importPage},
	{"POST /office/contacts/import", users.ManageContacts, (*Handler).importContacts},
	{"GET /office/contacts/{id}", users.ReadContacts, (*Handler).contactPage},
	{"POST /office/contacts/{id}", users.ManageContacts, (*Handler).saveContact},
	{"POST /office/contacts/{id}/block", users.Administer, (*Handler).blockContact},
	{"GET /office/suppressions", users.ReadContacts, (*Handler).suppressionList},
	{"POST /office/suppressions/lift", users.Administer, (*Handler).liftSuppression},
	{"GET /office/admin/users", users.Administer, (*Handler).adminUsers},
	{"POST /office/admin/users", users.Administer, (*Handler).addUser},
	{"POST /office/admin/users/{id}", users.Administer, (*Handler).changeUser},
	{"GET /office/admin/tokens", users.Administer, (*Handler).adminTokens},
	{"POST /office/admin/tokens/{id}/revoke", users.Administer, (*Handler).revokeAnyToken},
	{"GET /office/admin/taxonomy", users.Administer, (*Handler).adminTaxonomy},
	{"POST /office/admin/topics", users.Administer, (*Handler).addTopic},
	{"POST /office/admin/regions", users.Administer, (*Handler).addRegion},
	{"GET /office/admin/audit", users.Administer, (*Handler).adminAudit},
	{"GET /office/admin/branding", users.Administer, (*Handler).adminBranding},
	{"POST /office/admin/branding", users.Administer, (*Handler).saveBranding},
	{"GET /office/admin/templates", users.Administer, (*Handler).adminTemplates},
	{"GET /office/admin/templates/{message}/{lang}", users.Administer, (*Handler).templatePage},
	{"POST /office/admin/templates/{message}/{lang}", users.Administer, (*Handler).saveTemplate},
	{"POST /office/admin/templates/{message}/{lang}/delete", users.Administer, (*Handler).deleteTemplate},
	{"GET /office/admin/templates/{message}/{lang}/frame", users.Administer, (*Handler).templateFrame},
}

// moreRoutes registers moreRouteTable.
func (h *Handler) moreRoutes(mux *http.ServeMux) {
	h.handleRoutes(mux, moreRouteTable)
	mux.Handle("GET /office/admin/{$}", http.RedirectHandler("/office/admin/users", http.StatusSeeOther))
}

// handleRoutes registers each route of a table, for signed-in users
// with its right.
func (h *Handler) handleRoutes(mux *http.ServeMux, table []moreRoute) {
	for _, rt := range table {
		mux.Handle(rt.pattern, h.private(h.needs(rt.right, func(w http.ResponseWriter, r *http.Request, u *users.User) { rt.handle(h, w, r, u) })))
	}
}

// renderMore writes one of morePages; v is the relView that data embeds.
func (h *Handler) renderMore(w http.ResponseWriter, r *http.Request, status int, name string, v *relView, data any) {
	h.renderFrom(w, r, status, morePages, name, v, data)
}

// renderFrom writes set[name] with data, v being the relView data is or
// embeds. The page is rendered whole before the status goes out, so a
// template error is a clean 500 rather than half a page.
func (h *Handler) renderFrom(w http.ResponseWriter, r *http.Request, status int, set map[string]*template.Template, name string, v *relView, data any) {
	if v.CSRF == "" {
		v.CSRF = h.csrfToken(r.Context())
	}
	var buf bytes.Buffer
	if err := set[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.Error("render office page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", scriptPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
