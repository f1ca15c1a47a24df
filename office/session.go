package office

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

// What a session holds.
const (
	keyUser  = "user_id"
	keyEpoch = "epoch"
	keyCSRF  = "csrf"
	keyLang  = "lang"
	keyFlash = "flash"
	keyArg   = "flash_arg"
)

type userKey struct{}

// currentUser is the user signed in, or nil.
func currentUser(r *http.Request) *users.User {
	u, _ := r.Context().Value(userKey{}).(*users.User)
	return u
}

// identify finds who the session belongs to. A session whose user was
// disabled, removed, or changed password since it began ends here, on
// the first request after, whatever page it asks for.
func (h *Handler) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if l, ok := uiLanguage(r.URL.Query().Get("lang")); ok && r.Method == http.MethodGet {
			h.put(ctx, keyLang, l)
		}
		if id := h.sessions.GetInt64(ctx, keyUser); id != 0 {
			u, err := users.Get(ctx, h.cfg.DB, id)
			switch {
			case communique.ErrorCode(err) == communique.ENOTFOUND:
				u = nil
				err = h.end(ctx, "flash_ended")
			case err != nil:
			case u.Status != users.Active:
				h.log.Info("session ended: user disabled", "user_id", u.ID)
				u = nil
				err = h.end(ctx, "flash_disabled")
			case u.Epoch != h.sessions.GetInt(ctx, keyEpoch):
				h.log.Info("session ended: password changed", "user_id", u.ID)
				u = nil
				err = h.end(ctx, "flash_ended")
			}
			if err != nil {
				h.failed(w, r, err)
				return
			}
			if u != nil {
				r = r.WithContext(context.WithValue(ctx, userKey{}, u))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// end destroys the session, keeping only the visitor's language and a
// notice that says why.
func (h *Handler) end(ctx context.Context, flash string) error {
	lang := h.sessions.GetString(ctx, keyLang)
	if err := h.sessions.Destroy(ctx); err != nil {
		return err
	}
	h.anonymous(ctx)
	if lang != "" {
		h.sessions.Put(ctx, keyLang, lang)
	}
	if flash != "" {
		h.sessions.Put(ctx, keyFlash, flash)
	}
	return nil
}

// anonymous shortens the session of a visitor who has not signed in.
func (h *Handler) anonymous(ctx context.Context) {
	h.sessions.SetDeadline(ctx, time.Now().Add(anonymousTTL))
}

// startSession signs u in: a new session token (whatever token the browser
// came with, an attacker may know it), the user and their epoch, and a new
// form token.
func (h *Handler) startSession(ctx context.Context, u *users.User) error {
	if err := h.sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.sessions.Put(ctx, keyUser, u.ID)
	h.sessions.Put(ctx, keyEpoch, u.Epoch)
	h.sessions.Put(ctx, keyCSRF, newSecret())
	// A notice left for the visitor ("you have signed out") is stale now.
	h.sessions.Remove(ctx, keyFlash)
	h.sessions.Remove(ctx, keyArg)
	return nil
}

// open serves a page anyone may see, checking the form token of a POST.
func (h *Handler) open(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !h.checkForm(w, r) {
			return
		}
		fn(w, r)
	})
}

// private serves a page for users signed in; visitors are sent to sign in
// first, and come back to the page they asked for.
func (h *Handler) private(fn func(http.ResponseWriter, *http.Request, *users.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if u == nil {
			target := "/office/signin"
			if r.Method == http.MethodGet && r.URL.Path != "/office/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !h.checkForm(w, r) {
			return
		}
		fn(w, r, u)
	})
}

// maxForm bounds a form's body; most hold a few short fields.
const maxForm = 64 << 10

// maxReleaseForm bounds the forms that hold a release's text (the editor,
// its autosave, preview and audience, and the correction): a release body
// may be 200,000 bytes in each of its languages, and a form encodes some
// bytes as three.
const maxReleaseForm = 4 << 20

// formLimit is the largest body the form posted to path may have.
func formLimit(path string) int64 {
	rest, ok := strings.CutPrefix(path, "/office/releases/")
	if !ok {
		return maxForm
	}
	switch {
	case rest == "new", rest == "markdown", rest == "audience",
		strings.HasSuffix(rest, "/edit"), strings.HasSuffix(rest, "/autosave"), strings.HasSuffix(rest, "/correct"):
		return maxReleaseForm
	}
	return maxForm
}

// checkForm parses a POSTed form and refuses it, answering 403 itself,
// unless it came from one of our pages: the browser does not say it came
// from another site, and it carries this session's form token.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request) bool {
	if err := h.origins.Check(r); err != nil {
		h.log.Warn("cross-origin form refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
			"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "client", h.cfg.ClientIP(r))
		h.formExpired(w, r)
		return false
	}
	if (uploadPaths[r.URL.Path] || isMediaUpload(r.URL.Path)) && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			h.uploadRefused(w, r, err)
			return false
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, formLimit(r.URL.Path))
		if err := r.ParseForm(); err != nil {
			h.message(w, r, http.StatusBadRequest, "err_form_title", "err_form_body")
			return false
		}
	}
	want := h.sessions.GetString(r.Context(), keyCSRF)
	got := r.PostForm.Get("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		h.log.Info("form without this session's token refused", "path", r.URL.Path, "client", h.cfg.ClientIP(r))
		h.formExpired(w, r)
		return false
	}
	return true
}

// csrfToken returns the session's form token, making one (and so the
// session) when there is none yet.
func (h *Handler) csrfToken(ctx context.Context) string {
	tok := h.sessions.GetString(ctx, keyCSRF)
	if tok == "" {
		tok = newSecret()
		h.put(ctx, keyCSRF, tok)
	}
	return tok
}

// put stores a value in the session. A visitor's session begins with
// the first value it holds, and lasts only an hour: it holds no more
// than a form token and a language.
func (h *Handler) put(ctx context.Context, key string, v any) {
	if h.sessions.GetInt64(ctx, keyUser) == 0 && len(h.sessions.Keys(ctx)) == 0 {
		h.anonymous(ctx)
	}
	h.sessions.Put(ctx, key, v)
}

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// flash leaves a notice for the next page this session shows.
func (h *Handler) flash(ctx context.Context, key, arg string) {
	h.sessions.Put(ctx, keyFlash, key)
	if arg != "" {
		h.sessions.Put(ctx, keyArg, arg)
	}
}

// takeFlash returns and forgets the notice left for this page.
func (h *Handler) takeFlash(ctx context.Context) (key, arg string) {
	if !h.sessions.Exists(ctx, keyFlash) {
		return "", ""
	}
	return h.sessions.PopString(ctx, keyFlash), h.sessions.PopString(ctx, keyArg)
}

// localNext returns where to go after signing in: next when it is a page
// of the press office on this site, the home page otherwise. Anything
// else could send a user who just signed in to another site.
func localNext(next string) string {
	const home = "/office/"
	if next == "" || len(next) > 2000 || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(next, "/") {
		return home
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, home) || strings.HasPrefix(clean, "/office/signin") {
		return home
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if strings.HasPrefix(out, "//") {
		return home
	}
	return out
}
