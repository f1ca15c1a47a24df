package office

import (
	"math"
	"net/http"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

// signinPage shows the sign-in form; a user already signed in goes on.
func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if currentUser(r) != nil {
		http.Redirect(w, r, localNext(next), http.StatusSeeOther)
		return
	}
	pg := h.newPage(r, "signin_title")
	pg.Next, pg.focus = next, "email"
	h.render(w, r, http.StatusOK, "signin", pg)
}

// signin checks an address and password. users.SignIn answers a wrong
// address, a wrong password and a disabled user alike, in the same time,
// and counts the failure against the account and the client.
func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	email, password := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	pg := h.newPage(r, "signin_title")
	pg.Next, pg.values["email"] = next, email
	if email == "" {
		pg.problem("email", "email", pg.T("err_required"))
	}
	if password == "" {
		pg.problem("password", "password", pg.T("err_required"))
	}
	if len(pg.problems) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "signin", pg)
		return
	}
	client := h.cfg.ClientIP(r)
	u, err := users.SignIn(r.Context(), h.cfg.DB, h.cfg.Throttle, email, password, client)
	switch communique.ErrorCode(err) {
	case "":
	case communique.EUNAUTHORIZED:
		h.log.Info("sign-in failed", "client", client)
		pg.Error, pg.focus = pg.T("err_signin"), "password"
		h.render(w, r, http.StatusUnauthorized, "signin", pg)
		return
	case communique.EBUSY:
		h.log.Warn("sign-in throttled", "client", client)
		pg.Error, pg.focus = pg.T("err_throttled", h.throttleMinutes()), "email"
		h.render(w, r, http.StatusTooManyRequests, "signin", pg)
		return
	default:
		h.failed(w, r, err)
		return
	}
	if err := h.startSession(r.Context(), u); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("signed in", "user_id", u.ID, "client", client)
	http.Redirect(w, r, localNext(next), http.StatusSeeOther)
}

// throttleMinutes is the longest a throttled account or client waits.
func (h *Handler) throttleMinutes() int {
	if w := h.cfg.Throttle.Window; w > 0 {
		return int(math.Ceil(w.Minutes()))
	}
	return 15
}

// signout ends the session, here and in the database.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request, u *users.User) {
	if err := h.end(r.Context(), "flash_signed_out"); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("signed out", "user_id", u.ID)
	http.Redirect(w, r, "/office/signin", http.StatusSeeOther)
}

// home is the signed-in user's first page.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, u *users.User) {
	pg := h.newPage(r, "home_title")
	h.render(w, r, http.StatusOK, "home", pg)
}
