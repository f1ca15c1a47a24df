package office

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/users"
)

var secretInPage = regexp.MustCompile(`id="secret"[^>]*value="(cqt_[A-Za-z0-9_-]+)"`)

func TestProfileTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u := b.user("amina@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("amina@example.org", pw)
	res := br.get("/office/profile")
	wantStatus(t, "profile", res, http.StatusOK, "You have no API tokens.", `<option value="viewer"`, `<option value="press_officer" selected`)
	if strings.Contains(res.body, `<option value="editor"`) || strings.Contains(res.body, `<option value="admin"`) {
		t.Error("the form offers roles above the user's")
	}

	// Above one's role: refused, nothing made.
	res = br.post("/office/profile/tokens", url.Values{"token_name": {"too-high"}, "token_role": {"editor"}})
	wantStatus(t, "a token above the user's role", res, http.StatusForbidden, "A token&#39;s role can be no higher than yours.", `id="token_role-error"`)
	for _, tc := range []struct{ what, name, role, expires, field string }{
		{"a name with spaces", "my token", "viewer", "", "token_name"},
		{"no name", "", "viewer", "", "token_name"},
		{"an unknown role", "x", "root", "", "token_role"},
		{"a lifetime that is not one", "x", "viewer", "soon", "token_expires"},
		{"a negative lifetime", "x", "viewer", "-5d", "token_expires"},
	} {
		res := br.post("/office/profile/tokens", url.Values{"token_name": {tc.name}, "token_role": {tc.role}, "token_expires": {tc.expires}})
		wantStatus(t, tc.what, res, http.StatusUnprocessableEntity, `id="`+tc.field+`-error"`, `aria-invalid="true"`)
	}
	if n := count(t, b.db, `SELECT count(*) FROM api_tokens`); n != 0 {
		t.Fatalf("%d tokens after refused forms", n)
	}

	res = br.post("/office/profile/tokens", url.Values{"token_name": {"sync-script"}, "token_role": {"viewer"}, "token_expires": {"90d"}})
	wantStatus(t, "create a token", res, http.StatusOK, "it will not be shown again", "sync-script", "Viewer")
	m := secretInPage.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", res.body)
	}
	secret := m[1]
	p, err := users.Authenticate(ctx, b.db, secret)
	if err != nil || p.UserID != u.ID || p.Role != users.Viewer || p.TokenName != "sync-script" {
		t.Fatalf("the token shown: %+v, %v", p, err)
	}

	// Never again: not on the profile, not in any table.
	res = br.get("/office/profile")
	wantStatus(t, "profile with a token", res, http.StatusOK, "sync-script", secret[:10]+"…", "Viewer")
	if strings.Contains(res.body, secret) {
		t.Error("the profile shows the secret again")
	}
	for _, table := range []string{"api_tokens", "audit_log", "user_links"} {
		if n := count(t, b.db, `SELECT count(*) FROM `+table+` t WHERE position($1 in row_to_json(t)::text) > 0`, secret); n != 0 {
			t.Errorf("%s holds the secret in %d rows", table, n)
		}
	}
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE position(convert_to($1, 'UTF8') in data) > 0`, secret); n != 0 {
		t.Errorf("%d sessions hold the secret", n)
	}
	tok, err := users.GetToken(ctx, b.db, p.TokenID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt == nil || tok.ExpiresAt.Sub(time.Now().Add(90*24*time.Hour)).Abs() > time.Minute {
		t.Errorf("expires at %v, want in 90 days", tok.ExpiresAt)
	}

	// A name in use.
	res = br.post("/office/profile/tokens", url.Values{"token_name": {"SYNC-script"}, "token_role": {"viewer"}})
	wantStatus(t, "a name in use", res, http.StatusConflict, "A token has this name")

	// Revoking: one's own only.
	other := b.user("omar@example.org", users.Admin, pw)
	theirs, _, err := users.CreateToken(ctx, b.db, users.NewToken{UserID: other.ID, Name: "omar-script"})
	if err != nil {
		t.Fatal(err)
	}
	br.get("/office/profile")
	wantStatus(t, "revoke another's token", br.post("/office/profile/tokens/"+strconv.FormatInt(theirs.ID, 10)+"/revoke", nil), http.StatusNotFound)
	wantStatus(t, "revoke a token that is not one", br.post("/office/profile/tokens/abc/revoke", nil), http.StatusNotFound)
	if got, _ := users.GetToken(ctx, b.db, theirs.ID); got.RevokedAt != nil {
		t.Fatal("another user's token was revoked")
	}
	res = br.post("/office/profile/tokens/"+strconv.FormatInt(tok.ID, 10)+"/revoke", nil)
	if res.status != http.StatusSeeOther || res.location != "/office/profile" {
		t.Fatalf("revoke: %d %q", res.status, res.location)
	}
	wantStatus(t, "profile after revoking", br.get("/office/profile"), http.StatusOK, "Token sync-script is revoked.", "You have no API tokens.")
	if _, err := users.Authenticate(ctx, b.db, secret); communique.ErrorCode(err) != communique.EUNAUTHORIZED {
		t.Errorf("the revoked token still works: %v", err)
	}

	var actions []string
	if err := b.db.Select(&actions, `SELECT action || ' ' || (details->>'token') FROM audit_log WHERE actor = 'user:amina@example.org' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ", ") != "token.create sync-script, token.revoke sync-script" {
		t.Errorf("audit log: %q", actions)
	}
}

func TestProfileDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u := b.user("amina@example.org", users.Viewer, pw)
	br := b.browser()
	br.signIn("amina@example.org", pw)
	br.get("/office/profile")

	for _, tc := range []struct{ what, name, lang, field string }{
		{"a name with a line break", "Amina\nDiallo", "fr", "name"},
		{"a name too long", strings.Repeat("n", 201), "fr", "name"},
		{"a language not offered", "Amina", "de", "ui_language"},
	} {
		res := br.post("/office/profile", url.Values{"name": {tc.name}, "ui_language": {tc.lang}})
		wantStatus(t, tc.what, res, http.StatusUnprocessableEntity, `id="`+tc.field+`-error"`, `href="#`+tc.field+`"`)
	}
	if got, _ := users.Get(ctx, b.db, u.ID); got.Name != u.Name || got.UILanguage != "en" {
		t.Fatalf("refused forms changed the user: %q %q", got.Name, got.UILanguage)
	}

	res := br.post("/office/profile", url.Values{"name": {"Amina Diallo"}, "ui_language": {"ar"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.status, res.body)
	}
	res = br.get("/office/profile")
	wantStatus(t, "the profile after saving", res, http.StatusOK, `<html lang="ar" dir="rtl">`, "تم حفظ بياناتك.", `value="Amina Diallo"`, `<option value="ar" lang="ar" selected>`)
	var details string
	if err := b.db.Get(&details, `SELECT details::text FROM audit_log WHERE actor = 'user:amina@example.org' AND action = 'user.profile'`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"before": {"name": "Name of amina@example.org", "ui_language": "en"}`, `"after": {"name": "Amina Diallo", "ui_language": "ar"}`} {
		if !strings.Contains(details, want) {
			t.Errorf("audit details %s, want %s", details, want)
		}
	}
	// Saving the same again records nothing new.
	br.post("/office/profile", url.Values{"name": {"Amina Diallo"}, "ui_language": {"ar"}})
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE action = 'user.profile'`); n != 1 {
		t.Errorf("%d profile entries", n)
	}
}
