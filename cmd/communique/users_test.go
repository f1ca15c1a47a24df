package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/postgres/pgtest"
)

func TestUsersAndTokensCommands(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	run1 := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(args, "-database-url", dbURL, "-base-url", "https://press.example.org"), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := run1("migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	out, err := run1("users", "add", "amina@example.org", "-role", "editor", "-name", "Amina Diallo")
	if err != nil {
		t.Fatalf("users add: %v %s", err, out)
	}
	if !strings.Contains(out, "https://press.example.org/office/welcome/") {
		t.Fatalf("users add printed no sign-in link: %s", out)
	}
	if _, err := run1("users", "add", "x@example.org", "-role", "chief"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := run1("users", "add", "AMINA@example.org", "-role", "viewer"); err == nil {
		t.Fatal("the same address twice")
	}
	out, err = run1("tokens", "create", "-user", "amina@example.org", "-name", "sync-script", "-role", "press_officer", "-expires", "90d")
	if err != nil {
		t.Fatalf("tokens create: %v %s", err, out)
	}
	f := strings.Fields(out)
	secret := f[len(f)-1]
	if !strings.HasPrefix(secret, "cqt_") {
		t.Fatalf("the token is not the last word: %q", out)
	}
	if _, err := run1("tokens", "create", "-user", "amina@example.org", "-name", "root", "-role", "admin"); err == nil || !strings.Contains(err.Error(), "above the owner's role") {
		t.Fatalf("a token above its owner: %v", err)
	}
	out, err = run1("tokens", "list")
	if err != nil || !strings.Contains(out, "sync-script") || strings.Contains(out, secret) {
		t.Fatalf("tokens list: %v\n%s", err, out)
	}
	if out, err = run1("users", "list"); err != nil || !strings.Contains(out, "amina@example.org") || !strings.Contains(out, "editor") {
		t.Fatalf("users list: %v\n%s", err, out)
	}
	if out, err = run1("tokens", "revoke", "sync-script"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("tokens revoke: %v %s", err, out)
	}
	if out, err = run1("tokens", "list"); err != nil || strings.Contains(out, "sync-script") {
		t.Fatalf("a revoked token is listed: %v\n%s", err, out)
	}
	if out, err = run1("users", "disable", "amina@example.org"); err != nil || !strings.Contains(out, "disabled") {
		t.Fatalf("users disable: %v %s", err, out)
	}
	// Each change is in the audit log, in the name of the operator.
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var actions []string
	if err := db.Select(&actions, `SELECT action FROM audit_log WHERE actor LIKE 'cli%' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(actions, ","); got != "user.create,token.create,token.revoke,user.update" {
		t.Fatalf("audit log: %s", got)
	}
}
