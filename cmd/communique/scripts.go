package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/app"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

// openDB parses the common flags of a script command and opens the database.
func openDB(ctx context.Context, fs *flag.FlagSet, args []string) (*sqlx.DB, error) {
	var cfg app.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return postgres.Open(ctx, cfg.DatabaseURL)
}

// openCurrentDB is openDB for commands that need the schema this binary
// expects: an old or new schema is an error, not a surprise halfway through.
func openCurrentDB(ctx context.Context, fs *flag.FlagSet, args []string) (*sqlx.DB, error) {
	db, err := openDB(ctx, fs, args)
	if err != nil {
		return nil, err
	}
	if err := postgres.CheckVersion(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db, err := openDB(ctx, fs, args)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := postgres.Migrate(ctx, db)
	if err != nil {
		return err
	}
	if err := taxonomy.Seed(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema version %d\n", n, postgres.SchemaVersion())
	return nil
}

func runContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("contacts: want 'import FILE.csv' or 'export'")
	}
	fs := flag.NewFlagSet("contacts "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	skip := fs.Bool("skip-invalid", false, "import: keep the valid rows and report the others")
	db, err := openCurrentDB(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "import":
		if fs.NArg() != 1 {
			return fmt.Errorf("contacts import: want exactly one FILE.csv")
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := contacts.Import(ctx, db, f, contacts.ImportOptions{SkipInvalid: *skip, Source: "cli import"})
		if err != nil {
			return describe(err)
		}
		for _, r := range res.Rejected {
			fmt.Fprintf(stderr, "%s: line %d: %s\n", fs.Arg(0), r.Line, r.Reason)
		}
		fmt.Fprintf(stdout, "created %d, updated %d, rejected %d\n", res.Created, res.Updated, len(res.Rejected))
		return nil
	case "export":
		return contacts.Export(ctx, db, stdout)
	default:
		return fmt.Errorf("contacts: unknown subcommand %q", args[0])
	}
}

func runReleases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("releases: want create, publish, status or watch")
	}
	sub := args[0]
	fs := flag.NewFlagSet("releases "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db, err := openCurrentDB(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	usage, want := "ID", 1
	switch sub {
	case "create":
		usage = "FILE.json"
	case "postpone":
		usage, want = "ID TIME (RFC 3339)", 2
	case "correct":
		usage, want = "ID FILE.json", 2
	}
	if fs.NArg() != want {
		return fmt.Errorf("releases %s: want %s", sub, usage)
	}
	arg := fs.Arg(0)
	switch sub {
	case "create":
		b, err := os.ReadFile(arg)
		if err != nil {
			return err
		}
		var r releases.Release
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
		id, err := releases.Create(ctx, db, &r)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintln(stdout, id)
		return nil
	case "lift", "postpone", "recall", "correct":
		return runChange(ctx, db, sub, fs.Args(), stdout)
	case "publish", "status", "watch":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("releases %s: %q is not a release id", sub, arg)
		}
		if sub == "publish" {
			status, err := (&releases.Lifecycle{DB: db}).Publish(ctx, id, cliActor())
			if err != nil {
				return describe(err)
			}
			fmt.Fprintln(stdout, status)
			return nil
		}
		if sub == "watch" {
			return watch(ctx, db, id, stdout)
		}
		rep, err := releases.GetReport(ctx, db, id)
		if err != nil {
			return describe(err)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	default:
		return fmt.Errorf("releases: unknown subcommand %q", sub)
	}
}

// describe spells out every detail of an application error, one per line.
func describe(err error) error {
	d := communique.ErrorDetails(err)
	if len(d) == 0 {
		return err
	}
	s := communique.ErrorMessage(err) + ":"
	for _, x := range d {
		s += "\n  " + x
	}
	return fmt.Errorf("%s", s)
}

// cliActor names the operator in the audit log.
func cliActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// runChange runs lift, postpone, recall and correct.
func runChange(ctx context.Context, db *sqlx.DB, sub string, args []string, stdout io.Writer) error {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("releases %s: %q is not a release id", sub, args[0])
	}
	l := &releases.Lifecycle{DB: db}
	switch sub {
	case "lift":
		err = l.Lift(ctx, id, cliActor())
	case "recall":
		err = l.Recall(ctx, id, cliActor())
	case "postpone":
		until, perr := time.Parse(time.RFC3339, args[1])
		if perr != nil {
			return fmt.Errorf("releases postpone: %q is not an RFC 3339 time such as 2026-12-01T09:00:00Z", args[1])
		}
		err = l.Postpone(ctx, id, until, cliActor())
	case "correct":
		b, rerr := os.ReadFile(args[1])
		if rerr != nil {
			return rerr
		}
		var body struct {
			Translations map[string]releases.Translation `json:"translations"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if derr := dec.Decode(&body); derr != nil {
			return fmt.Errorf("%s: %w", args[1], derr)
		}
		err = l.Correct(ctx, id, body.Translations, cliActor())
	}
	if err != nil {
		return describe(err)
	}
	rel, err := releases.Get(ctx, db, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rel.Status)
	return nil
}
