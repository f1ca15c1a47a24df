package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/app"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// runUsers serves `communique users add|list|disable`.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := args[0]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	role := fs.String("role", "", "add: admin, editor, press_officer or viewer (required)")
	name := fs.String("name", "", "add: the user's name")
	lang := fs.String("lang", "en", "add: the language of the user's pages (en, fr, es, ar)")
	pos, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"add": 1, "list": 0, "disable": 1}[sub]
	if len(pos) != want {
		return fmt.Errorf("users %s: want %s", sub, map[string]string{"add": "EMAIL -role ROLE", "list": "no argument", "disable": "EMAIL"}[sub])
	}
	db, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "add":
		if *role == "" {
			return fmt.Errorf("users add: -role is required (admin, editor, press_officer or viewer)")
		}
		// The user and their link commit together, with the audit entry.
		var u *users.User
		var tok string
		err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) (err error) {
			if u, err = users.Create(ctx, tx, users.NewUser{Email: pos[0], Name: *name, Role: users.Role(*role), UILanguage: *lang}); err != nil {
				return err
			}
			if tok, err = users.IssueLinkTx(ctx, tx, u.ID, users.SignInLink, users.WelcomeLinkTTL); err != nil {
				return err
			}
			return releases.RecordAudit(ctx, tx, cliActor(), "user.create", 0, map[string]any{"user": u.Email, "role": u.Role})
		})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created %s (%s); this sign-in link works once, for %d hours:\n%s\n", u.Email, u.Role, int(users.WelcomeLinkTTL.Hours()), signInURL(cfg, tok))
	case "list":
		list, err := users.List(ctx, db)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEMAIL\tNAME\tROLE\tSTATUS\tCREATED")
		for _, u := range list {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Status, u.CreatedAt.UTC().Format(time.DateOnly))
		}
		return w.Flush()
	case "disable":
		u, err := users.Disable(ctx, db, pos[0])
		if err != nil {
			return describe(err)
		}
		if err := releases.RecordAudit(ctx, db, cliActor(), "user.update", 0, map[string]any{"user": u.Email, "after": map[string]any{"status": u.Status}}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s; their sessions and tokens no longer work\n", u.Email)
	}
	return nil
}

// signInURL is the page where a new user sets a password.
func signInURL(cfg app.Config, tok string) string {
	return users.WelcomeURL(cfg.PublicBaseURL(), tok)
}

// runTokens serves `communique tokens create|list|revoke`.
func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := args[0]
	fs := flag.NewFlagSet("tokens "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	user := fs.String("user", "", "create: the owner's address (required); list: only theirs")
	name := fs.String("name", "", "create: the token's name, as the audit log shows it (required)")
	role := fs.String("role", "", "create: the token's role, no higher than its owner's (default: the owner's)")
	expires := fs.String("expires", "", "create: lifetime such as 90d or 12h (default: no expiry)")
	pos, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"create": 0, "list": 0, "revoke": 1}[sub]
	if len(pos) != want {
		return fmt.Errorf("tokens %s: want %s", sub, map[string]string{"create": "-user EMAIL -name NAME", "list": "no argument", "revoke": "NAME"}[sub])
	}
	ttl, err := users.ParseTTL(*expires)
	if err != nil {
		return fmt.Errorf("tokens %s: -expires %w", sub, err)
	}
	if sub == "create" && (*user == "" || *name == "") {
		return fmt.Errorf("tokens create: -user EMAIL and -name NAME are required")
	}
	db, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "create":
		u, err := users.ByEmail(ctx, db, *user)
		if err != nil {
			return describe(err)
		}
		t, secret, err := users.CreateToken(ctx, db, users.NewToken{UserID: u.ID, Name: *name, Role: users.Role(*role), TTL: ttl})
		if err != nil {
			return describe(err)
		}
		exp := "never expires"
		if t.ExpiresAt != nil {
			exp = "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
		}
		// The token is the last word: scripts take it with awk '{print $NF}'.
		if err := releases.RecordAudit(ctx, db, cliActor(), "token.create", 0, map[string]any{"token": t.Name, "user": t.UserEmail, "role": t.Role}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s for %s (%s, %s), shown once: %s\n", t.Name, u.Email, t.Role, exp, secret)
	case "list":
		f := users.TokenFilter{}
		if *user != "" {
			u, err := users.ByEmail(ctx, db, *user)
			if err != nil {
				return describe(err)
			}
			f.UserID = u.ID
		}
		list, err := users.ListTokens(ctx, db, f)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tPREFIX\tUSER\tROLE\tCREATED\tEXPIRES\tLAST USED")
		for _, t := range list {
			fmt.Fprintf(w, "%s\t%s…\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Prefix, t.UserEmail, t.Role, day(&t.CreatedAt), day(t.ExpiresAt), day(t.LastUsedAt))
		}
		return w.Flush()
	case "revoke":
		t, err := users.RevokeTokenNamed(ctx, db, pos[0])
		if err != nil {
			return describe(err)
		}
		if err := releases.RecordAudit(ctx, db, cliActor(), "token.revoke", 0, map[string]any{"token": t.Name, "user": t.UserEmail}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %s (%s…)\n", t.Name, t.Prefix)
	}
	return nil
}

func day(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}
