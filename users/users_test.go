package users_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/users"
)

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		role  users.Role
		right users.Right
		can   bool
	}{
		{users.Viewer, users.ReadReleases, true},
		{users.Viewer, users.WriteReleases, false},
		{users.PressOfficer, users.WriteReleases, true},
		{users.PressOfficer, users.ManageContacts, true},
		{users.PressOfficer, users.ClearReleases, false},
		{users.Editor, users.ClearReleases, true},
		{users.Editor, users.Administer, false},
		{users.Admin, users.Administer, true},
		{users.Admin, users.ClearReleases, true},
		{users.Role("root"), users.ReadReleases, false},
	} {
		if got := tc.role.Can(tc.right); got != tc.can {
			t.Errorf("%s can %s: %v, want %v", tc.role, tc.right, got, tc.can)
		}
	}
	err := users.Principal{Role: users.PressOfficer}.Require(users.ClearReleases)
	if communique.ErrorCode(err) != communique.EFORBIDDEN || !strings.Contains(err.Error(), "editor") {
		t.Fatalf("Require: %v", err)
	}
}

func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	admin, err := users.Create(ctx, db, users.NewUser{Email: "head@example.org", Name: "Head", Role: users.Admin})
	if err != nil {
		t.Fatal(err)
	}
	po, err := users.Create(ctx, db, users.NewUser{Email: "Amina@Example.org", Name: "Amina", Role: users.PressOfficer, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if !po.HasPass || admin.HasPass {
		t.Fatalf("has_password: %v %v", po.HasPass, admin.HasPass)
	}
	if _, err := users.Create(ctx, db, users.NewUser{Email: "amina@example.org", Role: users.Viewer}); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Fatalf("duplicate address (case aside): %v", err)
	}
	_, err = users.Create(ctx, db, users.NewUser{Email: "not an address", Name: strings.Repeat("x", 201), Role: "chief", UILanguage: "de", Password: "short"})
	for _, field := range []string{"email:", "name:", "role:", "ui_language:", "password:"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("bad user: %v does not name %s", err, field)
		}
	}

	// Tokens: shown once, stored as a hash, role capped by the owner's.
	if _, _, err := users.CreateToken(ctx, db, users.NewToken{UserID: po.ID, Name: "too-high", Role: users.Editor}); communique.ErrorCode(err) != communique.EINVALID {
		t.Fatalf("token above its owner: %v", err)
	}
	tok, secret, err := users.CreateToken(ctx, db, users.NewToken{UserID: po.ID, Name: "sync-script", Role: users.Viewer, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, tok.Prefix) || len(secret) < 40 {
		t.Fatalf("token %q, prefix %q", secret, tok.Prefix)
	}
	var stored [][]byte
	if err := db.Select(&stored, `SELECT convert_to(row_to_json(t)::text, 'UTF8') FROM api_tokens t`); err != nil {
		t.Fatal(err)
	}
	for _, row := range stored {
		if bytes.Contains(row, []byte(secret)) || bytes.Contains(row, []byte(secret[len(tok.Prefix):])) {
			t.Fatalf("the token is stored in clear: %s", row)
		}
	}
	if _, _, err := users.CreateToken(ctx, db, users.NewToken{UserID: admin.ID, Name: "sync-script"}); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Fatalf("second live token of one name: %v", err)
	}
	p, err := users.Authenticate(ctx, db, secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != users.Viewer || p.Actor() != "token:sync-script" || p.UserID != po.ID {
		t.Fatalf("principal %+v", p)
	}
	if list, _ := users.ListTokens(ctx, db, users.TokenFilter{}); len(list) != 1 || list[0].LastUsedAt == nil {
		t.Fatalf("tokens: %+v", list)
	}
	for _, bad := range []string{"", "cqt_", secret + "x", strings.ToUpper(secret)} {
		if _, err := users.Authenticate(ctx, db, bad); communique.ErrorCode(err) != communique.EUNAUTHORIZED {
			t.Errorf("token %q: %v", bad, err)
		}
	}

	// Lowering the owner's role lowers the token's; disabling stops it.
	_, secret2, err := users.CreateToken(ctx, db, users.NewToken{UserID: po.ID, Name: "officer"})
	if err != nil {
		t.Fatal(err)
	}
	viewer := users.Viewer
	if _, err := users.Update(ctx, db, po.ID, users.Patch{Role: &viewer}); err != nil {
		t.Fatal(err)
	}
	if p, err := users.Authenticate(ctx, db, secret2); err != nil || p.Role != users.Viewer {
		t.Fatalf("after lowering the owner: %+v %v", p, err)
	}
	before, _ := users.Get(ctx, db, po.ID)
	if _, err := users.Disable(ctx, db, "AMINA@example.org"); err != nil {
		t.Fatal(err)
	}
	after, _ := users.Get(ctx, db, po.ID)
	if after.Epoch == before.Epoch {
		t.Fatal("disabling did not end the user's sessions")
	}
	if _, err := users.Authenticate(ctx, db, secret2); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("a disabled user's token: %v", err)
	}
	if _, err := users.RevokeTokenNamed(ctx, db, "sync-script"); err != nil {
		t.Fatal(err)
	}
	active := users.Active
	users.Update(ctx, db, po.ID, users.Patch{Status: &active})
	if _, err := users.Authenticate(ctx, db, secret); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("a revoked token: %v", err)
	}
	_, expired, _ := users.CreateToken(ctx, db, users.NewToken{UserID: po.ID, Name: "brief", TTL: time.Hour})
	db.MustExec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'brief'`)
	if _, err := users.Authenticate(ctx, db, expired); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired token: %v", err)
	}

	// The last administrator stays.
	disabled := users.Disabled
	if _, err := users.Update(ctx, db, admin.ID, users.Patch{Status: &disabled}); communique.ErrorCode(err) != communique.ECONFLICT {
		t.Fatalf("disabling the last admin: %v", err)
	}
}

func TestSignInAndLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	u, err := users.Create(ctx, db, users.NewUser{Email: "amina@example.org", Role: users.PressOfficer})
	if err != nil {
		t.Fatal(err)
	}
	th := users.Throttle{PerAccount: 3, PerClient: 5}
	if _, err := users.SignIn(ctx, db, th, "amina@example.org", "", "198.51.100.1"); communique.ErrorCode(err) != communique.EUNAUTHORIZED {
		t.Fatalf("no password yet: %v", err)
	}

	link, err := users.IssueLink(ctx, db, u.ID, users.SignInLink, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.CheckLink(ctx, db, link, users.ResetLink); err == nil {
		t.Fatal("a sign-in link passed as a reset link")
	}
	if _, err := users.UseLink(ctx, db, link, users.SignInLink, "short"); communique.ErrorCode(err) != communique.EINVALID {
		t.Fatalf("short password: %v", err)
	}
	got, err := users.UseLink(ctx, db, link, users.SignInLink, "a long enough password")
	if err != nil || got.ID != u.ID || got.Epoch == u.Epoch {
		t.Fatalf("use link: %+v %v", got, err)
	}
	if _, err := users.UseLink(ctx, db, link, users.SignInLink, "another long password"); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Fatalf("link used twice: %v", err)
	}
	old, _ := users.IssueLink(ctx, db, u.ID, users.ResetLink, time.Hour)
	newer, _ := users.IssueLink(ctx, db, u.ID, users.ResetLink, time.Hour)
	if _, err := users.CheckLink(ctx, db, old, users.ResetLink); err == nil {
		t.Fatal("an earlier reset link still works")
	}
	if _, err := users.CheckLink(ctx, db, newer, users.ResetLink); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE user_links SET expires_at = now() - interval '1 second'`)
	if _, err := users.CheckLink(ctx, db, newer, users.ResetLink); err == nil {
		t.Fatal("an expired link works")
	}

	if _, err := users.SignIn(ctx, db, th, "AMINA@example.org", "a long enough password", "198.51.100.1"); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// Three failures block the account, whatever the client, even with
	// the right password.
	for i := 0; i < 3; i++ {
		if _, err := users.SignIn(ctx, db, th, "amina@example.org", "wrong password!", "198.51.100.2"); communique.ErrorCode(err) != communique.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := users.SignIn(ctx, db, th, "amina@example.org", "a long enough password", "203.0.113.9"); communique.ErrorCode(err) != communique.EBUSY {
		t.Fatalf("after 3 failures: %v", err)
	}
	// Five failures from one client block it for every account.
	for i := 0; i < 2; i++ {
		users.SignIn(ctx, db, th, "nobody@example.org", "wrong password!", "198.51.100.2")
	}
	if _, err := users.SignIn(ctx, db, th, "other@example.org", "whatever password", "198.51.100.2"); communique.ErrorCode(err) != communique.EBUSY {
		t.Fatalf("after 5 failures from one client: %v", err)
	}
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "12h": 12 * time.Hour, "": 0} {
		if got, err := users.ParseTTL(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"0d", "-1h", "d", "9x", "1.5d"} {
		if _, err := users.ParseTTL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
