package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/app"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/taxonomy"
)

// parseAnywhere parses fs from args, letting flags come before, between
// and after the positional arguments (`contacts import FILE -skip-invalid`),
// and returns the positional ones.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// openScript opens the database for commands whose flags may follow their
// arguments: it parses everything before it opens the database.
func openScript(ctx context.Context, fs *flag.FlagSet, args []string) (*sqlx.DB, []string, error) {
	var cfg app.Config
	cfg.RegisterFlags(fs)
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return nil, nil, err
	}
	db, err := openConfigured(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return db, pos, nil
}

func runContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("contacts: want 'import FILE.csv' or 'export'")
	}
	fs := flag.NewFlagSet("contacts "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var skip *bool
	if args[0] == "import" {
		skip = fs.Bool("skip-invalid", false, "keep the valid rows and report the others")
	}
	db, pos, err := openScript(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "import":
		if len(pos) != 1 {
			return fmt.Errorf("contacts import: want exactly one FILE.csv")
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := contacts.Import(ctx, db, f, contacts.ImportOptions{SkipInvalid: *skip, Source: "cli import"})
		if err != nil {
			return describe(err)
		}
		for _, r := range res.Rejected {
			fmt.Fprintf(stderr, "%s: line %d: %s\n", pos[0], r.Line, r.Reason)
		}
		if s := res.Summary(); s != "" {
			fmt.Fprintf(stderr, "%s: %s\n", pos[0], s)
		}
		fmt.Fprintf(stdout, "created %d, updated %d, rejected %d\n", res.Created, res.Updated, res.RejectedTotal)
		return nil
	case "export":
		if len(pos) != 0 {
			return fmt.Errorf("contacts export: takes no arguments (it writes to standard output)")
		}
		return contacts.Export(ctx, db, stdout)
	default:
		return fmt.Errorf("contacts: unknown subcommand %q", args[0])
	}
}

func runTaxonomy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("taxonomy: want 'export' or 'import FILE.json'")
	}
	fs := flag.NewFlagSet("taxonomy "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	db, pos, err := openScript(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "export":
		if len(pos) != 0 {
			return fmt.Errorf("taxonomy export: takes no arguments (it writes to standard output)")
		}
		doc, err := taxonomy.Export(ctx, db)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	case "import":
		if len(pos) != 1 {
			return fmt.Errorf("taxonomy import: want exactly one FILE.json")
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := taxonomy.ReadDocument(f)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[0], describe(err))
		}
		res, err := taxonomy.Import(ctx, db, doc)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "regions created %d, topics created %d, unchanged %d\n", res.Regions, res.Topics, res.Unchanged)
		return nil
	default:
		return fmt.Errorf("taxonomy: unknown subcommand %q", strings.TrimSpace(args[0]))
	}
}
