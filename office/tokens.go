package office

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

// createToken makes an API token for the user and shows its secret, on
// this answer only: it is stored nowhere but as a hash.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, u *users.User) {
	pg, err := h.profilePage(r, u)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	pg.values["name"], pg.values["ui_language"] = u.Name, u.UILanguage
	name := strings.TrimSpace(r.PostForm.Get("token_name"))
	role := users.Role(r.PostForm.Get("token_role"))
	expires := strings.TrimSpace(r.PostForm.Get("token_expires"))
	pg.values["token_name"], pg.values["token_role"], pg.values["token_expires"] = name, string(role), expires
	status := http.StatusUnprocessableEntity
	switch {
	case name == "":
		pg.problem("token_name", "token_name", pg.T("err_required"))
	case len(name) > 100 || strings.ContainsFunc(name, func(c rune) bool { return c <= ' ' || c == 0x7f }):
		pg.problem("token_name", "token_name", pg.T("err_token_name"))
	}
	switch {
	case !role.Valid():
		pg.problem("token_role", "token_role", pg.T("err_choice"))
	case !u.Role.AtLeast(role):
		// The form offers no such role: only a forged form asks for one.
		pg.problem("token_role", "token_role", pg.T("err_token_role"))
		status = http.StatusForbidden
	}
	ttl, err := users.ParseTTL(expires)
	if err != nil {
		pg.problem("token_expires", "token_expires", pg.T("err_expires"))
	}
	if len(pg.problems) > 0 {
		h.render(w, r, status, "profile", pg)
		return
	}
	t, secret, err := users.CreateToken(r.Context(), h.cfg.DB, users.NewToken{UserID: u.ID, Name: name, Role: role, TTL: ttl})
	switch communique.ErrorCode(err) {
	case "":
	case communique.ECONFLICT:
		pg.problem("token_name", "token_name", pg.T("err_token_name_taken"))
		h.render(w, r, http.StatusConflict, "profile", pg)
		return
	case communique.EINVALID:
		// What users refuses that the checks above let through: said in
		// its own words, next to the form.
		pg.Error = communique.ErrorMessage(err) + ": " + strings.Join(communique.ErrorDetails(err), "; ")
		h.render(w, r, http.StatusUnprocessableEntity, "profile", pg)
		return
	default:
		h.failed(w, r, err)
		return
	}
	h.audit(r, u, "token.create", map[string]any{"token": t.Name, "user": u.Email, "role": t.Role})
	h.log.Info("API token created", "user_id", u.ID, "token_id", t.ID)
	pg = h.newPage(r, "token_created_title")
	pg.langBase.Path, pg.langBase.RawQuery = "/office/profile", ""
	pg.Token, pg.Secret = t, secret
	h.render(w, r, http.StatusOK, "token", pg)
}

// revokeToken revokes one of the user's own tokens; another's is not
// found here (administrators revoke those through the API).
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.notFound(w, r, u)
		return
	}
	t, err := users.GetToken(r.Context(), h.cfg.DB, id)
	if communique.ErrorCode(err) == communique.ENOTFOUND || err == nil && t.UserID != u.ID {
		h.notFound(w, r, u)
		return
	}
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if t.RevokedAt == nil {
		if t, err = users.RevokeToken(r.Context(), h.cfg.DB, id); err != nil {
			h.failed(w, r, err)
			return
		}
		h.audit(r, u, "token.revoke", map[string]any{"token": t.Name, "user": u.Email})
		h.log.Info("API token revoked", "user_id", u.ID, "token_id", t.ID)
	}
	h.flash(r.Context(), "token_revoked", t.Name)
	http.Redirect(w, r, "/office/profile", http.StatusSeeOther)
}
