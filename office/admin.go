package office

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// adminView is what the administration pages show.
type adminView struct {
	*relView
	Users    []users.User
	Tokens   []users.Token
	Welcome  string
	NewUser  string
	RoleList []users.Role
}

func (h *Handler) adminView(r *http.Request, title string) *adminView {
	return &adminView{relView: h.relView(r, title), RoleList: users.Roles}
}

// adminUsers lists the users with what an administrator may change.
func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.showUsers(w, r, h.adminView(r, "admin_users_title"), http.StatusOK)
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, v *adminView, status int) {
	list, err := users.List(r.Context(), h.cfg.DB)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Users = list
	if v.values["new_role"] == "" {
		v.values["new_role"] = string(users.PressOfficer)
	}
	h.renderMore(w, r, status, "admin_users", v.relView, v)
}

// addUser creates a user and shows the one-time link with which they
// choose a password; the link is shown here once and never stored.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx, pf := r.Context(), r.PostForm
	v := h.adminView(r, "admin_users_title")
	for _, f := range []string{"new_email", "new_name", "new_role", "new_language"} {
		v.values[f] = pf.Get(f)
	}
	role := users.Role(pf.Get("new_role"))
	if !role.Valid() {
		v.problem("new_role", "admin_role", v.T("err_choice"))
	}
	lang := pf.Get("new_language")
	if lang != "" && !slices.Contains(users.UILanguages, lang) {
		v.problem("new_language", "language", v.T("err_choice"))
	}
	if len(v.problems) > 0 {
		h.showUsers(w, r, v, http.StatusUnprocessableEntity)
		return
	}
	var created *users.User
	var tok string
	err := postgres.Tx(ctx, h.cfg.DB, func(tx *sqlx.Tx) error {
		var err error
		if created, err = users.Create(ctx, tx, users.NewUser{Email: pf.Get("new_email"), Name: pf.Get("new_name"), Role: role, UILanguage: lang}); err != nil {
			return err
		}
		if tok, err = users.IssueLinkTx(ctx, tx, created.ID, users.SignInLink, users.WelcomeLinkTTL); err != nil {
			return err
		}
		return releases.RecordAudit(ctx, tx, actor(u), "user.create", 0, map[string]any{"user": created.Email, "role": created.Role})
	})
	if err != nil {
		switch communique.ErrorCode(err) {
		case communique.EINVALID, communique.ECONFLICT:
			for _, d := range communique.ErrorDetails(err) {
				field, text, ok := strings.Cut(d, ": ")
				if !ok {
					field, text = "email", d
				}
				id := "new_" + field
				if field == "ui_language" {
					id = "new_language"
				}
				v.problems = append(v.problems, problem{Field: id, Label: v.T(userFieldLabel[id]), Text: text})
			}
			if len(v.problems) == 0 {
				v.problem("new_email", "contact_email", communique.ErrorMessage(err))
			}
			h.showUsers(w, r, v, communique.HTTPStatus(communique.ErrorCode(err)))
			return
		}
		h.failed(w, r, err)
		return
	}
	h.log.Info("user created", "user_id", created.ID, "actor", actor(u))
	v.values = map[string]string{}
	v.Welcome, v.NewUser = users.WelcomeURL(h.cfg.BaseURL, tok), created.Email
	h.showUsers(w, r, v, http.StatusCreated)
}

// userFieldLabel names the add-user form's fields.
var userFieldLabel = map[string]string{"new_email": "contact_email", "new_name": "contact_name", "new_role": "admin_role", "new_language": "language"}

// userID reads the user id of the path.
func userID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, communique.Errorf(communique.ENOTFOUND, "no user %q", r.PathValue("id"))
	}
	return id, nil
}

// changeUser changes a user's role or status: disabling ends their
// sessions and stops their tokens, lowering a role lowers their tokens'.
func (h *Handler) changeUser(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := userID(r)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	ctx, pf := r.Context(), r.PostForm
	v := h.adminView(r, "admin_users_title")
	var p users.Patch
	if s := pf.Get("role"); s != "" {
		role := users.Role(s)
		p.Role = &role
	}
	if s := pf.Get("status"); s != "" {
		p.Status = &s
	}
	if p.Role == nil && p.Status == nil {
		v.Error = v.T("admin_nothing")
		h.showUsers(w, r, v, http.StatusUnprocessableEntity)
		return
	}
	before, err := users.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	after, err := users.Update(ctx, h.cfg.DB, id, p)
	if err != nil {
		if code := communique.ErrorCode(err); code == communique.EINVALID || code == communique.ECONFLICT {
			v.Error = before.Email + v.T("colon") + " " + joinDetails(err)
			h.showUsers(w, r, v, communique.HTTPStatus(code))
			return
		}
		h.failed(w, r, err)
		return
	}
	field := func(x *users.User) map[string]any { return map[string]any{"role": x.Role, "status": x.Status} }
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "user.update", 0, map[string]any{
		"user": after.Email, "before": field(before), "after": field(after)}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("user changed", "user_id", id, "actor", actor(u), "role", after.Role, "status", after.Status)
	h.flash(ctx, "flash_user_changed", after.Email)
	http.Redirect(w, r, "/office/admin/users", http.StatusSeeOther)
}

// adminTokens lists every user's live API tokens.
func (h *Handler) adminTokens(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := h.adminView(r, "admin_tokens_title")
	list, err := users.ListTokens(r.Context(), h.cfg.DB, users.TokenFilter{})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Tokens = list
	h.renderMore(w, r, http.StatusOK, "admin_tokens", v.relView, v)
}

// revokeAnyToken revokes anyone's token.
func (h *Handler) revokeAnyToken(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.message(w, r, http.StatusNotFound, "notfound_title", "notfound_body")
		return
	}
	ctx := r.Context()
	t, err := users.RevokeToken(ctx, h.cfg.DB, id)
	if err != nil {
		if communique.ErrorCode(err) == communique.ENOTFOUND {
			h.message(w, r, http.StatusNotFound, "notfound_title", "notfound_body")
			return
		}
		h.failed(w, r, err)
		return
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "token.revoke", 0, map[string]any{"token": t.Name, "user": t.UserEmail}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.flash(ctx, "flash_token_revoked_of", t.Name)
	http.Redirect(w, r, "/office/admin/tokens", http.StatusSeeOther)
}
