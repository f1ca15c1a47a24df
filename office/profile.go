package office

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// profile shows the user's details, the password form and their tokens.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, u *users.User) {
	pg, err := h.profilePage(r, u)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	pg.values["name"], pg.values["ui_language"] = u.Name, u.UILanguage
	h.render(w, r, http.StatusOK, "profile", pg)
}

func (h *Handler) profilePage(r *http.Request, u *users.User) (*page, error) {
	tokens, err := users.ListTokens(r.Context(), h.cfg.DB, users.TokenFilter{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	pg := h.newPage(r, "profile_title")
	pg.langBase.Path, pg.langBase.RawQuery = "/office/profile", ""
	pg.Tokens, pg.Languages = tokens, users.UILanguages
	for _, role := range users.Roles {
		if u.Role.AtLeast(role) {
			pg.Roles = append(pg.Roles, role)
		}
	}
	return pg, nil
}

// saveDetails changes the user's name and the language of their pages.
func (h *Handler) saveDetails(w http.ResponseWriter, r *http.Request, u *users.User) {
	pg, err := h.profilePage(r, u)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	lang := r.PostForm.Get("ui_language")
	pg.values["name"], pg.values["ui_language"] = name, lang
	if d := checkName(name); d != "" {
		pg.problem("name", "name", pg.T(d))
	}
	if !slices.Contains(users.UILanguages, lang) {
		pg.problem("ui_language", "ui_language", pg.T("err_choice"))
	}
	if len(pg.problems) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "profile", pg)
		return
	}
	after, err := users.Update(r.Context(), h.cfg.DB, u.ID, users.Patch{Name: &name, UILanguage: &lang})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if after.Name != u.Name || after.UILanguage != u.UILanguage {
		h.audit(r, u, "user.profile", map[string]any{"user": u.Email,
			"before": map[string]any{"name": u.Name, "ui_language": u.UILanguage},
			"after":  map[string]any{"name": after.Name, "ui_language": after.UILanguage}})
	}
	// The language just chosen is the one to show, whatever a language
	// link chose before.
	h.sessions.Remove(r.Context(), keyLang)
	h.flash(r.Context(), "details_saved", "")
	http.Redirect(w, r, "/office/profile", http.StatusSeeOther)
}

// checkName returns the catalog key of what is wrong with a name, or "".
// users.Update checks the same; saying it here says it in the page's
// language.
func checkName(name string) string {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 200 ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "err_name"
	}
	return ""
}

// changePassword sets a new password once the current one is given.
// The session epoch moves, which ends the user's other sessions; this
// one continues under a new token.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	pg, err := h.profilePage(r, u)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	pg.values["name"], pg.values["ui_language"] = u.Name, u.UILanguage
	current, password := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	if current == "" {
		pg.problem("current_password", "current_password", pg.T("err_required"))
	}
	checkNewPassword(pg, "new_password", password, r.PostForm.Get("new_password2"))
	if len(pg.problems) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "profile", pg)
		return
	}
	// Checked as a sign-in is: a wrong password counts against the
	// account, so a session left open cannot be used to guess it.
	_, err = users.SignIn(ctx, h.cfg.DB, h.cfg.Throttle, u.Email, current, h.cfg.ClientIP(r))
	switch communique.ErrorCode(err) {
	case "":
	case communique.EUNAUTHORIZED:
		pg.problem("current_password", "current_password", pg.T("err_current_password"))
		h.render(w, r, http.StatusUnprocessableEntity, "profile", pg)
		return
	case communique.EBUSY:
		pg.problem("current_password", "current_password", pg.T("err_throttled", h.throttleMinutes()))
		h.render(w, r, http.StatusTooManyRequests, "profile", pg)
		return
	default:
		h.failed(w, r, err)
		return
	}
	epoch, err := users.SetPassword(ctx, h.cfg.DB, u.ID, password)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	u.Epoch = epoch
	if err := h.startSession(ctx, u); err != nil {
		h.failed(w, r, err)
		return
	}
	h.audit(r, u, "user.password_change", map[string]any{"user": u.Email})
	h.log.Info("password changed", "user_id", u.ID, "client", h.cfg.ClientIP(r))
	h.flash(ctx, "password_changed", "")
	http.Redirect(w, r, "/office/profile", http.StatusSeeOther)
}

// audit records a change the user made. The change is already committed
// (users owns its transactions), so a failure here is logged loudly
// rather than shown as if the change had not happened.
func (h *Handler) audit(r *http.Request, u *users.User, action string, details map[string]any) {
	actor := u.Principal().Actor()
	ctx := communique.WithActor(r.Context(), communique.Actor{Name: actor, Client: h.cfg.ClientIP(r)})
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor, action, 0, details); err != nil {
		h.log.Error("audit log entry lost", "action", action, "user_id", u.ID, "error", err)
	}
}
