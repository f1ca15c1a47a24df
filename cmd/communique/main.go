// Command communique is the Communiqué press-release distribution service:
// one binary for the server, the dispatcher workers and the scripts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: communique COMMAND [flags]

Commands:
  dev                          everything in one process with demo data, for a first look
  serve                        API, public pages, relay and dispatcher (-no-dispatcher, -no-api)
  dispatch                     a dispatcher worker only
  migrate                      apply database migrations and exit
  contacts import FILE.csv     import contacts (-skip-invalid keeps the good rows)
  contacts export              write all contacts as CSV to standard output
  releases create FILE.json    create a draft release, print its id
  releases publish ID          publish a release
  releases status ID           print a release's delivery report
  releases watch ID            show a release's delivery progress until it is done
  releases lift ID             lift an embargo now
  releases postpone ID TIME    move an embargo to TIME (RFC 3339)
  releases recall ID           recall a release: "please disregard" to those who got it
  releases correct ID FILE     send corrected translations ({"translations": {...}})
  templates preview            write a release's message as .eml (-release ID -lang L -message M -o FILE)

Run 'communique COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "communique:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runServer(ctx, "dev", rest, stdout, stderr)
	case "serve":
		return runServer(ctx, "serve", rest, stdout, stderr)
	case "dispatch":
		return runServer(ctx, "dispatch", rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "contacts":
		return runContacts(ctx, rest, stdout, stderr)
	case "releases":
		return runReleases(ctx, rest, stdout, stderr)
	case "templates":
		return runTemplates(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(w io.Writer, level string, text bool) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	if text {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
