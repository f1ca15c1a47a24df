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

// openConfigured opens the database of cfg, which must have the schema
// this binary expects.
func openConfigured(ctx context.Context, cfg app.Config) (*sqlx.DB, error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
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

func runReleases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("releases: want create, edit, delete, list, publish, status, watch, audience, lift, postpone, recall or correct")
	}
	sub := args[0]
	fs := flag.NewFlagSet("releases "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := releaseFlags(fs, sub)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := openConfigured(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	usage, want := "ID", 1
	switch sub {
	case "create":
		usage = "FILE.json"
	case "list":
		usage, want = "no argument", 0
	case "postpone":
		usage, want = "ID TIME (RFC 3339)", 2
	case "correct", "edit":
		usage, want = "ID FILE.json", 2
	}
	if fs.NArg() != want {
		return fmt.Errorf("releases %s: want %s", sub, usage)
	}
	l := &releases.Lifecycle{DB: db, ClearanceRequired: cfg.ClearanceRequired()}
	switch sub {
	case "create":
		var d releases.Draft
		if err := readJSONFile(fs.Arg(0), &d); err != nil {
			return err
		}
		id, err := l.Create(ctx, &d, cliActor())
		if err != nil {
			return describe(err)
		}
		fmt.Fprintln(stdout, id)
		return nil
	case "list":
		return listReleases(ctx, db, opts, stdout)
	case "edit", "delete", "publish", "status", "watch", "audience", "lift", "postpone", "recall", "correct":
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("releases %s: %q is not a release id", sub, fs.Arg(0))
		}
		switch sub {
		case "status":
			return printReport(ctx, db, id, stdout)
		case "watch":
			return watch(ctx, db, id, stdout)
		case "audience":
			return printAudience(ctx, db, id, stdout)
		case "delete":
			if err := l.Delete(ctx, id, cliActor()); err != nil {
				return describe(err)
			}
			fmt.Fprintln(stdout, "deleted")
			return nil
		case "publish":
			status, err := l.Publish(ctx, id, cliActor(), opts.publish)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintln(stdout, status)
			return nil
		}
		return runChange(ctx, l, sub, id, fs.Args()[1:], opts, stdout)
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

// runChange runs edit, lift, postpone, recall and correct, and prints
// the release's status after the change.
func runChange(ctx context.Context, l *releases.Lifecycle, sub string, id int64, args []string, opts *releaseOptions, stdout io.Writer) error {
	var err error
	switch sub {
	case "edit":
		var d releases.Draft
		if err := readJSONFile(args[0], &d); err != nil {
			return err
		}
		err = l.Edit(ctx, id, &d, cliActor())
	case "lift":
		err = l.Lift(ctx, id, cliActor())
	case "recall":
		err = l.Recall(ctx, id, opts.reason, cliActor())
	case "postpone":
		until, perr := time.Parse(time.RFC3339, args[0])
		if perr != nil {
			return fmt.Errorf("releases postpone: %q is not an RFC 3339 time such as 2026-12-01T09:00:00Z", args[0])
		}
		err = l.Postpone(ctx, id, until, cliActor())
	case "correct":
		var c releases.Correction
		if err := readJSONFile(args[0], &c); err != nil {
			return err
		}
		err = l.Correct(ctx, id, c, cliActor())
	}
	if err != nil {
		return describe(err)
	}
	rel, err := releases.Get(ctx, l.DB, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rel.Status)
	return nil
}

// readJSONFile decodes file into v, refusing fields v does not have, as
// the API does.
func readJSONFile(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
