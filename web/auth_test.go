package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

// Every API route, asked by every kind of caller: exactly the callers
// whose role has the route's right get past authorization; the others get
// 403 naming the role needed, or 401 when they are nobody.
func TestEveryRouteByEveryRole(t *testing.T) {
	b := setup(t)
	var logs bytes.Buffer
	b.h.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	tokens := map[string]string{"bootstrap": testToken}
	roles := map[string]users.Role{"bootstrap": users.Admin}
	for _, role := range users.Roles {
		u, err := users.Create(b.ctx, b.db, users.NewUser{Email: string(role) + "@example.org", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: u.ID, Name: "t-" + string(role)})
		if err != nil {
			t.Fatal(err)
		}
		tokens[string(role)], roles[string(role)] = secret, role
	}
	// Callers who are nobody.
	owner, _ := users.Create(b.ctx, b.db, users.NewUser{Email: "gone@example.org", Role: users.Admin})
	_, expired, _ := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: owner.ID, Name: "expired", TTL: time.Hour})
	b.db.MustExec(`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE name = 'expired'`)
	_, revoked, _ := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: owner.ID, Name: "revoked"})
	users.RevokeTokenNamed(b.ctx, b.db, "revoked")
	_, disabled, _ := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: owner.ID, Name: "disabled"})
	if _, err := users.Disable(b.ctx, b.db, "gone@example.org"); err != nil {
		t.Fatal(err)
	}
	nobody := map[string]string{"none": "", "garbage": "cqt_not-a-token", "expired": expired, "revoked": revoked, "disabled": disabled}

	path := strings.NewReplacer("{id}", "999999", "{message}", "public", "{lang}", "en", "{email}", "nobody@example.org")
	for pattern, right := range routeRights {
		method, p, _ := strings.Cut(pattern, " ")
		url := b.srv.URL + path.Replace(p)
		do := func(tok string) (int, string) {
			req, _ := http.NewRequest(method, url, strings.NewReader(""))
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		for who, tok := range nobody {
			if code, body := do(tok); code != http.StatusUnauthorized {
				t.Errorf("%s as %s: %d %s, want 401", pattern, who, code, body)
			}
		}
		for who, tok := range tokens {
			code, body := do(tok)
			if code == http.StatusNotFound && !strings.HasPrefix(body, "{") || code == http.StatusMethodNotAllowed {
				t.Fatalf("%s is in routeRights but not served: %d %s", pattern, code, body)
			}
			allowed := roles[who].Can(right)
			switch {
			case allowed && (code == http.StatusUnauthorized || code == http.StatusForbidden):
				t.Errorf("%s as %s: %d %s, want it allowed", pattern, who, code, body)
			case !allowed && code != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", pattern, who, code)
			case !allowed && !strings.Contains(body, string(users.Need(right))):
				t.Errorf("%s as %s: the 403 does not name the role needed: %s", pattern, who, body)
			}
		}
	}
	for _, tok := range append([]string{testToken}, tokens["viewer"], expired) {
		if strings.Contains(logs.String(), tok) {
			t.Fatal("a token is in the log")
		}
	}
}

// Tokens: a user makes and revokes their own, never one above their
// role; only an administrator touches another's; the audit log names
// the token that acted.
func TestTokensAndMe(t *testing.T) {
	b := setup(t)
	officer, _ := users.Create(b.ctx, b.db, users.NewUser{Email: "amina@example.org", Role: users.PressOfficer})
	viewer, _ := users.Create(b.ctx, b.db, users.NewUser{Email: "vera@example.org", Role: users.Viewer})
	_, offTok, _ := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: officer.ID, Name: "amina-laptop"})
	_, viewTok, _ := users.CreateToken(b.ctx, b.db, users.NewToken{UserID: viewer.ID, Name: "vera-laptop"})

	call := func(tok, method, path, body string, out any) int {
		req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var me struct {
		Actor  string        `json:"actor"`
		Role   users.Role    `json:"role"`
		Rights []users.Right `json:"rights"`
		User   users.User    `json:"user"`
	}
	if code := call(offTok, "GET", "/api/v1/me", "", &me); code != 200 || me.Actor != "token:amina-laptop" || me.User.Email != "amina@example.org" || len(me.Rights) != 4 {
		t.Fatalf("me: %d %+v", code, me)
	}
	var created struct {
		Token  users.Token `json:"token"`
		Secret string      `json:"secret"`
	}
	if code := call(offTok, "POST", "/api/v1/tokens", `{"name": "amina-sync", "role": "viewer", "expires": "30d"}`, &created); code != 201 || created.Token.Role != users.Viewer || created.Token.ExpiresAt == nil {
		t.Fatalf("create own token: %d %+v", code, created)
	}
	if code := call(created.Secret, "POST", "/api/v1/contacts", `{}`, nil); code != 403 {
		t.Fatalf("a viewer token wrote contacts: %d", code)
	}
	if code := call(offTok, "POST", "/api/v1/tokens", `{"name": "too-high", "role": "editor"}`, nil); code != 403 {
		t.Fatalf("a token above its maker: %d", code)
	}
	if code := call(offTok, "POST", "/api/v1/tokens", `{"name": "for-vera", "user": "vera@example.org"}`, nil); code != 403 {
		t.Fatalf("a token for someone else: %d", code)
	}
	var list struct {
		Tokens []users.Token `json:"tokens"`
	}
	call(viewTok, "GET", "/api/v1/tokens", "", &list)
	if len(list.Tokens) != 1 || list.Tokens[0].Name != "vera-laptop" {
		t.Fatalf("a viewer sees %+v", list.Tokens)
	}
	if code := call(viewTok, "GET", "/api/v1/tokens?user=vera@example.org", "", &list); code != 200 || len(list.Tokens) != 1 || list.Tokens[0].Name != "vera-laptop" {
		t.Fatalf("a viewer naming themselves: %d %+v", code, list.Tokens)
	}
	if code := call(viewTok, "GET", "/api/v1/tokens?user=amina@example.org", "", nil); code != 403 {
		t.Fatalf("a viewer listing another's tokens: %d", code)
	}
	if code := call(viewTok, "DELETE", "/api/v1/tokens/"+idStr(created.Token.ID), "", nil); code != 403 {
		t.Fatalf("revoking another's token: %d", code)
	}
	if code := call(offTok, "DELETE", "/api/v1/tokens/"+idStr(created.Token.ID), "", nil); code != 200 {
		t.Fatalf("revoking one's own token: %d", code)
	}
	if code := call(created.Secret, "GET", "/api/v1/me", "", nil); code != 401 {
		t.Fatalf("a revoked token: %d", code)
	}
	call(testToken, "GET", "/api/v1/tokens", "", &list)
	if len(list.Tokens) != 2 {
		t.Fatalf("the administrator sees %d live tokens, want 2", len(list.Tokens))
	}

	// Users through the API, and the audit log naming who did it.
	var newUser struct {
		User      users.User `json:"user"`
		SignInURL string     `json:"sign_in_url"`
	}
	if code := call(testToken, "POST", "/api/v1/users", `{"email": "head@example.org", "name": "Head of unit", "role": "editor"}`, &newUser); code != 201 || !strings.Contains(newUser.SignInURL, "/office/welcome/") {
		t.Fatalf("create user: %d %+v", code, newUser)
	}
	if code := call(testToken, "PATCH", "/api/v1/users/"+idStr(newUser.User.ID), `{"role": "press_officer"}`, nil); code != 200 {
		t.Fatalf("patch user: %d", code)
	}
	if code := call(testToken, "PATCH", "/api/v1/users/"+idStr(newUser.User.ID), `{"role": "boss"}`, nil); code != 422 {
		t.Fatalf("patch user with a bad role: %d", code)
	}
	var audit struct {
		Entries []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
			Client string `json:"client"`
		} `json:"entries"`
	}
	call(testToken, "GET", "/api/v1/audit?actor=token:amina-laptop", "", &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "token.create" || audit.Entries[1].Action != "token.revoke" || audit.Entries[0].Client == "" {
		t.Fatalf("audit by actor: %+v", audit.Entries)
	}
	call(testToken, "GET", "/api/v1/audit?actor=bootstrap", "", &audit)
	if len(audit.Entries) != 2 || audit.Entries[1].Action != "user.update" {
		t.Fatalf("bootstrap's audit: %+v", audit.Entries)
	}
}

func idStr(n int64) string { return strconv.FormatInt(n, 10) }
