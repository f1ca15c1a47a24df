package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/communique/communique/postgres/pgtest"
)

// Usage text, asked for or printed after a mistyped flag, never shows a
// secret: keys show "(set)", URLs hide their passwords.
func TestUsageHidesSecrets(t *testing.T) {
	secrets := map[string]string{
		"COMMUNIQUE_SECRET":       "s3cret-value-0123456789abcdef0123456789",
		"COMMUNIQUE_ADMIN_TOKEN":  "admin-token-value-0123456789abcdef012345",
		"COMMUNIQUE_DATABASE_URL": "postgres://app:db-password-value@db.example.org:5432/communique?sslmode=disable",
		"COMMUNIQUE_SMTP_URL":     "smtp://mailer:smtp-password-value@smtp.example.org:587?tls=starttls",
		"COMMUNIQUE_NATS_URL":     "nats://nats-token-value@nats.example.org:4222",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	for _, args := range [][]string{
		{"serve", "-h"}, {"dispatch", "-h"}, {"dev", "-h"}, {"migrate", "-h"},
		{"serve", "-no-such-flag"}, {"contacts", "import", "-h"}, {"releases", "status", "-h"},
		{"templates", "preview", "-h"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		if err == nil {
			t.Errorf("%v: no error", args)
		}
		text := out.String() + errOut.String()
		if err != nil {
			text += err.Error()
		}
		for k, v := range secrets {
			for _, part := range []string{"s3cret-value", "admin-token-value", "db-password-value", "smtp-password-value", "nats-token-value"} {
				if strings.Contains(v, part) && strings.Contains(text, part) {
					t.Errorf("%v: usage shows the value of %s:\n%s", args, k, text)
				}
			}
		}
		if args[0] == "serve" && !strings.Contains(text, "(set)") {
			t.Errorf("%v: usage does not say the secret is set:\n%s", args, text)
		}
		if args[0] == "serve" && !strings.Contains(text, "db.example.org") {
			t.Errorf("%v: usage hides more than the password of the database URL:\n%s", args, text)
		}
	}
}

// -h on any command prints its usage and touches nothing: the database a
// command would otherwise create is not created.
func TestHelpTouchesNothing(t *testing.T) {
	server := pgtest.ServerURL()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	name := "help_probe_" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")
	u.Path = "/" + name
	t.Setenv("COMMUNIQUE_DATABASE_URL", u.String())
	admin, err := sqlx.Open("postgres", server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	admin.Exec(`DROP DATABASE IF EXISTS ` + name)
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name) })

	for _, args := range [][]string{
		{"-h"}, {"help"}, {"contacts", "-h"}, {"contacts", "--help"}, {"contacts"}, {"contacts", "bogus"},
		{"contacts", "import", "-h"}, {"contacts", "export", "-h"},
		{"releases", "-h"}, {"releases"}, {"releases", "publish", "-h"}, {"releases", "watch", "-help"},
		{"templates", "-h"}, {"templates", "preview", "-h"}, {"taxonomy", "-h"},
		{"migrate", "-h"}, {"serve", "-h"}, {"dispatch", "-h"}, {"dev", "-h"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		if out.Len()+errOut.Len() == 0 {
			t.Errorf("%v: printed no usage", args)
		}
		if err != nil && !errors.Is(err, flag.ErrHelp) && len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help") {
			t.Errorf("%v: %v", args, err)
		}
		var exists bool
		if err := admin.Get(&exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Fatalf("%v created database %s", args, name)
		}
	}
}
