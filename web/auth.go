package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

// routeRights names the right each API route needs: the one place that
// says who may call what. A route missing here refuses to register.
var routeRights = map[string]users.Right{
	"GET /api/v1/me": users.ReadReleases,

	// Messages name the addresses they went to, as contacts do.
	"GET /api/v1/messages": users.ReadContacts,

	"GET /api/v1/releases":                      users.ReadReleases,
	"GET /api/v1/releases/{id}":                 users.ReadReleases,
	"GET /api/v1/releases/{id}/report":          users.ReadReleases,
	"GET /api/v1/releases/{id}/deliveries":      users.ReadReleases,
	"GET /api/v1/deliveries/{id}":               users.ReadReleases,
	"GET /api/v1/inbound":                       users.ReadReleases,
	"GET /api/v1/releases/{id}/audience":        users.ReadReleases,
	"GET /api/v1/releases/{id}/preview":         users.ReadReleases,
	"GET /api/v1/templates":                     users.ReadReleases,
	"GET /api/v1/templates/{message}/{lang}":    users.ReadReleases,
	"POST /api/v1/releases":                     users.WriteReleases,
	"PUT /api/v1/releases/{id}":                 users.WriteReleases,
	"DELETE /api/v1/releases/{id}":              users.WriteReleases,
	"POST /api/v1/releases/{id}/test":           users.WriteReleases,
	"POST /api/v1/releases/{id}/submit":         users.WriteReleases,
	"POST /api/v1/releases/{id}/publish":        users.WriteReleases,
	"POST /api/v1/releases/{id}/clear":          users.ClearReleases,
	"POST /api/v1/releases/{id}/return":         users.ClearReleases,
	"POST /api/v1/releases/{id}/lift":           users.ClearReleases,
	"POST /api/v1/releases/{id}/postpone":       users.ClearReleases,
	"POST /api/v1/releases/{id}/recall":         users.ClearReleases,
	"POST /api/v1/releases/{id}/correct":        users.ClearReleases,
	"GET /api/v1/audit":                         users.ClearReleases,
	"PUT /api/v1/templates/{message}/{lang}":    users.Administer,
	"DELETE /api/v1/templates/{message}/{lang}": users.Administer,

	// Out of draft, changing media needs ClearReleases too: the handlers
	// ask media.RightToChange.
	"GET /api/v1/releases/{id}/media":          users.ReadReleases,
	"POST /api/v1/releases/{id}/media":         users.WriteReleases,
	"PATCH /api/v1/releases/{id}/media/{mid}":  users.WriteReleases,
	"DELETE /api/v1/releases/{id}/media/{mid}": users.WriteReleases,

	"GET /api/v1/contacts":                users.ReadContacts,
	"GET /api/v1/contacts/{id}":           users.ReadContacts,
	"GET /api/v1/contacts/export":         users.ReadContacts,
	"GET /api/v1/regions":                 users.ReadContacts,
	"GET /api/v1/topics":                  users.ReadContacts,
	"GET /api/v1/suppressions":            users.ReadContacts,
	"POST /api/v1/contacts":               users.ManageContacts,
	"PUT /api/v1/contacts/{id}":           users.ManageContacts,
	"DELETE /api/v1/contacts/{id}":        users.ManageContacts,
	"POST /api/v1/contacts/import":        users.ManageContacts,
	"POST /api/v1/regions":                users.Administer,
	"POST /api/v1/topics":                 users.Administer,
	"POST /api/v1/suppressions":           users.Administer,
	"DELETE /api/v1/suppressions/{email}": users.Administer,

	"GET /api/v1/users":         users.Administer,
	"POST /api/v1/users":        users.Administer,
	"PATCH /api/v1/users/{id}":  users.Administer,
	"DELETE /api/v1/users/{id}": users.Administer,
	// Everyone manages their own tokens; the handlers let only an
	// administrator touch another's.
	"GET /api/v1/tokens":         users.ReadReleases,
	"POST /api/v1/tokens":        users.ReadReleases,
	"DELETE /api/v1/tokens/{id}": users.ReadReleases,
}

type principalKey struct{}

// principal is who the request acts for; authenticated routes always
// have one.
func principal(r *http.Request) users.Principal {
	p, _ := r.Context().Value(principalKey{}).(users.Principal)
	return p
}

// actor names who a request acts for in the audit log.
func actor(r *http.Request) string { return principal(r).Actor() }

// authenticate finds the principal of the request's bearer token: the
// bootstrap token of the configuration, or a user's API token.
func (h *Handler) authenticate(r *http.Request) (users.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return users.Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "a valid bearer token is required")
	}
	if h.AdminToken != "" {
		// Compared as hashes, in constant time: neither the length nor
		// the content of the bootstrap token leaks through timing.
		want, got := sha256.Sum256([]byte(h.AdminToken)), sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return users.Bootstrap, nil
		}
	}
	return users.Authenticate(r.Context(), h.DB, tok)
}

// authorized authenticates the request, checks the route's right, and
// turns the handler's error into a JSON response.
func (h *Handler) authorized(pattern string, fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	right, ok := routeRights[pattern]
	if !ok {
		panic("web: route " + pattern + " has no entry in routeRights")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err == nil {
			err = p.Require(right)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		ctx = communique.WithActor(ctx, communique.Actor{Name: p.Actor(), Client: h.clientIP(r)})
		r = r.WithContext(ctx)
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}
