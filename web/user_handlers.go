package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// userRoutes registers users, tokens and /me.
func (h *Handler) userRoutes(mux *http.ServeMux) {
	h.api(mux, "GET /api/v1/me", h.me)
	h.api(mux, "GET /api/v1/users", h.listUsers)
	h.api(mux, "POST /api/v1/users", h.createUser)
	h.api(mux, "PATCH /api/v1/users/{id}", h.patchUser)
	h.api(mux, "DELETE /api/v1/users/{id}", h.deleteUser)
	h.api(mux, "GET /api/v1/tokens", h.listTokens)
	h.api(mux, "POST /api/v1/tokens", h.createToken)
	h.api(mux, "DELETE /api/v1/tokens/{id}", h.revokeToken)
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var rights []users.Right
	for _, x := range users.Rights() {
		if p.Can(x.Right) {
			rights = append(rights, x.Right)
		}
	}
	body := map[string]any{"actor": p.Actor(), "role": p.Role, "rights": rights}
	if p.UserID != 0 {
		u, err := users.Get(r.Context(), h.DB, p.UserID)
		if err != nil {
			return err
		}
		body["user"] = u
	}
	if p.TokenID != 0 {
		t, err := users.GetToken(r.Context(), h.DB, p.TokenID)
		if err != nil {
			return err
		}
		body["token"] = t
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := communique.Invalid("invalid query", checkParams(r.URL.Query())); err != nil {
		return err
	}
	list, err := users.List(r.Context(), h.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": list})
	return nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) error {
	var in users.NewUser
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	// The user, their welcome link and the audit entry commit together:
	// never a user nobody can sign in as, nor one the log does not know.
	ctx := r.Context()
	body := map[string]any{}
	var u *users.User
	err := postgres.Tx(ctx, h.DB, func(tx *sqlx.Tx) error {
		var err error
		if u, err = users.Create(ctx, tx, in); err != nil {
			return err
		}
		body["user"] = u
		if !u.HasPass {
			tok, err := users.IssueLinkTx(ctx, tx, u.ID, users.SignInLink, users.WelcomeLinkTTL)
			if err != nil {
				return err
			}
			body["sign_in_url"] = users.WelcomeURL(h.BaseURL, tok)
			body["sign_in_expires_at"] = time.Now().Add(users.WelcomeLinkTTL).UTC()
		}
		return releases.RecordAudit(ctx, tx, actor(r), "user.create", 0, map[string]any{"user": u.Email, "role": u.Role})
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	writeJSON(w, http.StatusCreated, body)
	return nil
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOf(r, "user")
	if err != nil {
		return err
	}
	var p users.Patch
	if err := readJSON(w, r, &p); err != nil {
		return err
	}
	before, err := users.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	u, err := users.Update(r.Context(), h.DB, id, p)
	if err != nil {
		return err
	}
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "user.update", 0, map[string]any{
		"user": u.Email, "before": userFields(before), "after": userFields(u)}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func userFields(u *users.User) map[string]any {
	return map[string]any{"name": u.Name, "ui_language": u.UILanguage, "role": u.Role, "status": u.Status}
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOf(r, "user")
	if err != nil {
		return err
	}
	u, err := users.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	if err := users.Delete(r.Context(), h.DB, id); err != nil {
		return err
	}
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "user.delete", 0, map[string]any{"user": u.Email}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := communique.Invalid("invalid query", checkParams(r.URL.Query(), "user")); err != nil {
		return err
	}
	p := principal(r)
	f := users.TokenFilter{UserID: p.UserID}
	if who := r.URL.Query().Get("user"); who != "" {
		u, err := h.tokenOwner(r, who)
		if err != nil {
			return err
		}
		f.UserID = u.ID
	} else if p.Can(users.Administer) {
		f.UserID = 0 // an administrator sees every token
	}
	list, err := users.ListTokens(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

// tokenOwner is the user of address email whose tokens the caller names:
// anyone may name themselves, only an administrator someone else.
func (h *Handler) tokenOwner(r *http.Request, email string) (*users.User, error) {
	u, err := users.ByEmail(r.Context(), h.DB, email)
	if err != nil {
		return nil, err
	}
	if p := principal(r); u.ID != p.UserID {
		if err := p.Require(users.Administer); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name    string     `json:"name"`
		Role    users.Role `json:"role"`
		Expires string     `json:"expires"` // "90d", "12h"
		User    string     `json:"user"`    // the owner's address; default: the caller
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	ttl, err := users.ParseTTL(in.Expires)
	if err != nil {
		return communique.Invalid("invalid token", []string{"expires: " + err.Error()})
	}
	p := principal(r)
	owner := p.UserID
	if in.User != "" {
		u, err := h.tokenOwner(r, in.User)
		if err != nil {
			return err
		}
		owner = u.ID
	}
	if owner == 0 {
		return communique.Invalid("invalid token", []string{"user: the bootstrap token owns no tokens: name the user who will"})
	}
	// A token made with a token is no more powerful than the one used.
	if in.Role == "" && p.TokenID != 0 && owner == p.UserID {
		in.Role = p.Role
	}
	if in.Role != "" && in.Role.Valid() && !p.Role.AtLeast(in.Role) {
		return communique.Errorf(communique.EFORBIDDEN, "forbidden: a %s token cannot be made by a %s", in.Role, p.Role)
	}
	t, secret, err := users.CreateToken(r.Context(), h.DB, users.NewToken{UserID: owner, Name: in.Name, Role: in.Role, TTL: ttl})
	if err != nil {
		return err
	}
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "token.create", 0, map[string]any{"token": t.Name, "user": t.UserEmail, "role": t.Role}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
	return nil
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOf(r, "token")
	if err != nil {
		return err
	}
	t, err := users.GetToken(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	p := principal(r)
	if t.UserID != p.UserID {
		if err := p.Require(users.Administer); err != nil {
			return err
		}
	}
	if t, err = users.RevokeToken(r.Context(), h.DB, id); err != nil {
		return err
	}
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "token.revoke", 0, map[string]any{"token": t.Name, "user": t.UserEmail}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
