package office

import (
	"bytes"
	"net/http"

	"github.com/communique/communique/users"
)

// morePages are the pages that go beyond releases: corrections, reports,
// contacts and administration. Each view embeds a relView, so the layout
// and the catalog work as on the release pages.
var morePages = parseReleasePages("correct", "report", "contacts", "contact", "import", "suppressions", "admin_users", "admin_tokens", "admin_taxonomy", "admin_audit")

// moreRoutes registers the pages beyond writing and publishing, each
// needing the right its API route needs (web/auth.go's routeRights).
func (h *Handler) moreRoutes(mux *http.ServeMux) {
	mux.Handle("GET /office/releases/{id}/correct", h.private(h.needs(users.ClearReleases, h.correctPage)))
	mux.Handle("POST /office/releases/{id}/correct", h.private(h.needs(users.ClearReleases, h.correct)))
	mux.Handle("GET /office/releases/{id}/report", h.private(h.needs(users.ReadReleases, h.report)))
	mux.Handle("GET /office/releases/{id}/deliveries.csv", h.private(h.needs(users.ReadReleases, h.deliveriesCSV)))
	mux.Handle("GET /office/contacts", h.private(h.needs(users.ReadContacts, h.contactList)))
	mux.Handle("GET /office/missions", h.private(h.needs(users.ReadContacts, h.missionList)))
	mux.Handle("GET /office/contacts/export", h.private(h.needs(users.ReadContacts, h.exportContacts)))
	mux.Handle("GET /office/contacts/import", h.private(h.needs(users.ManageContacts, h.importPage)))
	mux.Handle("POST /office/contacts/import", h.private(h.needs(users.ManageContacts, h.importContacts)))
	mux.Handle("GET /office/contacts/{id}", h.private(h.needs(users.ReadContacts, h.contactPage)))
	mux.Handle("POST /office/contacts/{id}", h.private(h.needs(users.ManageContacts, h.saveContact)))
	mux.Handle("POST /office/contacts/{id}/block", h.private(h.needs(users.Administer, h.blockContact)))
	mux.Handle("GET /office/suppressions", h.private(h.needs(users.ReadContacts, h.suppressionList)))
	mux.Handle("POST /office/suppressions/lift", h.private(h.needs(users.Administer, h.liftSuppression)))
	mux.Handle("GET /office/admin/{$}", http.RedirectHandler("/office/admin/users", http.StatusSeeOther))
	mux.Handle("GET /office/admin/users", h.private(h.needs(users.Administer, h.adminUsers)))
	mux.Handle("POST /office/admin/users", h.private(h.needs(users.Administer, h.addUser)))
	mux.Handle("POST /office/admin/users/{id}", h.private(h.needs(users.Administer, h.changeUser)))
	mux.Handle("GET /office/admin/tokens", h.private(h.needs(users.Administer, h.adminTokens)))
	mux.Handle("POST /office/admin/tokens/{id}/revoke", h.private(h.needs(users.Administer, h.revokeAnyToken)))
	mux.Handle("GET /office/admin/taxonomy", h.private(h.needs(users.Administer, h.adminTaxonomy)))
	mux.Handle("POST /office/admin/topics", h.private(h.needs(users.Administer, h.addTopic)))
	mux.Handle("POST /office/admin/regions", h.private(h.needs(users.Administer, h.addRegion)))
	mux.Handle("GET /office/admin/audit", h.private(h.needs(users.Administer, h.adminAudit)))
}

// renderMore writes one of morePages, buffered as renderRel does; v is
// the relView that data embeds.
func (h *Handler) renderMore(w http.ResponseWriter, r *http.Request, status int, name string, v *relView, data any) {
	if v.CSRF == "" {
		v.CSRF = h.csrfToken(r.Context())
	}
	var buf bytes.Buffer
	if err := morePages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.Error("render office page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", scriptPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
