package office

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

// The bounds users.SetPassword and users.UseLink enforce, checked here
// first so that the page can say what is wrong in its own language.
const (
	minPassword = 12
	maxPassword = 256
)

// welcomePage asks a new user, who came with the link `users add`
// printed, for a password.
func (h *Handler) welcomePage(w http.ResponseWriter, r *http.Request) {
	h.linkPage(w, r, users.SignInLink)
}

// welcome sets a new user's password and signs them in.
func (h *Handler) welcome(w http.ResponseWriter, r *http.Request) {
	h.useLink(w, r, users.SignInLink)
}

// resetLinkPage asks for a new password, with the link of a reset mail.
func (h *Handler) resetLinkPage(w http.ResponseWriter, r *http.Request) {
	h.linkPage(w, r, users.ResetLink)
}

// reset sets a new password with a reset link, which ends every other
// session of the user, and signs them in.
func (h *Handler) reset(w http.ResponseWriter, r *http.Request) {
	h.useLink(w, r, users.ResetLink)
}

// linkPage shows the password form of a live link; looking at it uses
// nothing up.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request, purpose string) {
	u, err := users.CheckLink(r.Context(), h.cfg.DB, r.PathValue("token"), purpose)
	if err != nil {
		h.linkFailed(w, r, purpose, err)
		return
	}
	pg := h.passwordPage(r, purpose, u)
	h.render(w, r, http.StatusOK, "password", pg)
}

func (h *Handler) passwordPage(r *http.Request, purpose string, u *users.User) *page {
	title, intro, button := "welcome_title", "welcome_intro", "welcome_button"
	if purpose == users.ResetLink {
		title, intro, button = "reset_choose_title", "reset_choose_intro", "reset_choose_button"
	}
	pg := h.newPageFor(r, title, u)
	pg.Action, pg.Email, pg.Name, pg.focus = r.URL.Path, u.Email, u.Name, "password"
	pg.Body, pg.Button = pg.T(intro), pg.T(button)
	return pg
}

func (h *Handler) useLink(w http.ResponseWriter, r *http.Request, purpose string) {
	ctx := r.Context()
	tok := r.PathValue("token")
	u, err := users.CheckLink(ctx, h.cfg.DB, tok, purpose)
	if err != nil {
		h.linkFailed(w, r, purpose, err)
		return
	}
	pg := h.passwordPage(r, purpose, u)
	password := r.PostForm.Get("password")
	checkNewPassword(pg, "password", password, r.PostForm.Get("password2"))
	if len(pg.problems) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "password", pg)
		return
	}
	// The link is checked again, and used up, in the transaction that sets
	// the password: of two tabs posting at once, one wins.
	if u, err = users.UseLink(ctx, h.cfg.DB, tok, purpose, password); err != nil {
		h.linkFailed(w, r, purpose, err)
		return
	}
	if err := h.startSession(ctx, u); err != nil {
		h.failed(w, r, err)
		return
	}
	action := map[string]string{users.SignInLink: "user.welcome", users.ResetLink: "user.password_reset"}[purpose]
	h.audit(r, u, action, map[string]any{"user": u.Email})
	h.log.Info("password set with a link", "user_id", u.ID, "purpose", purpose, "client", h.cfg.ClientIP(r))
	http.Redirect(w, r, "/office/", http.StatusSeeOther)
}

// linkFailed says plainly that a link expired or was used; a new user
// asks an administrator for another, anyone else can ask for a reset.
func (h *Handler) linkFailed(w http.ResponseWriter, r *http.Request, purpose string, err error) {
	if communique.ErrorCode(err) != communique.ENOTFOUND {
		h.failed(w, r, err)
		return
	}
	pg := h.newPage(r, "link_gone_title")
	pg.Body = pg.T("link_gone_body")
	if purpose == users.SignInLink {
		pg.Body += " " + pg.T("link_gone_welcome")
	}
	pg.Link, pg.LinkText = "/office/reset", pg.T("link_gone_reset")
	h.render(w, r, http.StatusNotFound, "message", pg)
}

// checkNewPassword records what is wrong with a new password and its
// repetition (field+"2").
func checkNewPassword(pg *page, field, password, again string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		pg.problem(field, "new_password", pg.T("err_required"))
	case !utf8.ValidString(password):
		pg.problem(field, "new_password", pg.T("err_password_chars"))
	case n < minPassword:
		pg.problem(field, "new_password", pg.T("err_password_short", minPassword))
	case n > maxPassword:
		pg.problem(field, "new_password", pg.T("err_password_long", maxPassword))
	case password != again:
		pg.problem(field+"2", "password_again", pg.T("err_password_mismatch"))
	}
}

// resetPage asks for the address to send a reset link to.
func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) {
	pg := h.newPage(r, "reset_title")
	pg.focus = "email"
	h.render(w, r, http.StatusOK, "reset", pg)
}

// requestReset answers the same page, at once, whatever the address: the
// lookup and the mail happen after the answer, so neither its words nor
// its timing tell who has an account.
func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	pg := h.newPage(r, "reset_title")
	pg.values["email"] = email
	if !users.ValidEmail(email) {
		pg.problem("email", "email", pg.T("err_email"))
		h.render(w, r, http.StatusUnprocessableEntity, "reset", pg)
		return
	}
	client := h.cfg.ClientIP(r)
	if !h.jobs.submit("password reset", func(ctx context.Context) error { return h.mailResetLink(ctx, email, client) }) {
		h.log.Warn("password reset refused: too many at once", "client", client)
	}
	pg = h.newPage(r, "reset_sent_title")
	pg.Body = pg.T("reset_sent_body")
	h.render(w, r, http.StatusOK, "message", pg)
}
