package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// CSRF protection of the public forms: each browser gets a random cookie,
// and each form carries a token that is the HMAC of that cookie under the
// service's secret (a Signer token bound to it), valid for a day. A page
// on another site can make a browser post a form but can neither read the
// cookie nor mint the token. The unsubscribe POST needs none: mail clients
// send RFC 8058 one-click requests without cookies, and its link's token
// already proves the request came from the mailbox.
const (
	csrfCookie = "communique_csrf"
	csrfField  = "csrf"
	csrfTTL    = 24 * time.Hour
)

// csrfToken returns the token for r's forms, setting the cookie it is
// bound to when the browser has none.
func (p *public) csrfToken(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if c, err := r.Cookie(csrfCookie); err == nil && validCookie(c.Value) {
		v = c.Value
	} else {
		b := make([]byte, 18)
		rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: strings.HasPrefix(p.h.BaseURL, "https:"),
		})
	}
	return p.h.Signer.Token("csrf:"+v, 0, p.now().Add(csrfTTL))
}

// csrfValid reports whether r's form token matches its cookie.
func (p *public) csrfValid(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCookie(c.Value) {
		return false
	}
	_, err = p.h.Signer.Verify("csrf:"+c.Value, r.PostForm.Get(csrfField), p.now())
	return err == nil
}

func validCookie(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 18
}
