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
	"slices"
	"strings"
	"syscall"
)

const usage = `Usage: communique COMMAND [flags]

Commands:
  dev                          everything in one process with demo data, for a first look (-private-db)
  serve                        API, public pages, relay and dispatcher (-no-dispatcher, -no-api)
  dispatch                     a dispatcher worker only
  migrate                      apply database migrations and exit
  contacts import FILE.csv     import contacts (-skip-invalid keeps the good rows)
  contacts export              write all contacts as CSV to standard output
  taxonomy export              write the custom regions and the topics as JSON to standard output
  taxonomy import FILE.json    add the regions and topics of an export (what exists as is stays)
  releases create FILE.json    create a draft release, print its id
  releases edit ID FILE.json   replace a draft
  releases delete ID           delete a draft
  releases list                releases newest first (-status S -q TEXT -limit N -after ID)
  releases publish ID          publish a release (-publish-now, -allow-empty)
  releases audience ID         who a release would reach if published now
  releases status ID           print a release's delivery report
  releases watch ID            show a release's delivery progress until it is done
  releases lift ID             lift an embargo now
  releases postpone ID TIME    move an embargo to TIME (RFC 3339)
  releases recall ID           recall a release: "please disregard" to those who got it (-reason TEXT)
  releases correct ID FILE     correct a release: the fields sent replace theirs ({"translations": {...}})
  users add EMAIL -role ROLE   create a user (admin, editor, press_officer, viewer); prints a one-time sign-in link
  users list                   list the users
  users disable EMAIL          disable a user: their sessions and tokens stop working
  tokens create -user EMAIL -name NAME [-role R] [-expires 90d]
                               create an API token; prints it once, as the last word
  tokens list                  list the live tokens (prefix, owner, role, last use)
  tokens revoke NAME           revoke a token
  templates preview            write a release's message as .eml (-release ID -lang L -message M -kind K -o FILE)

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
	if subs, ok := subcommands[cmd]; ok {
		// Settle help and unknown subcommands before a command opens the
		// database, which it would create if missing.
		if len(rest) == 0 || isHelp(rest[0]) {
			w := stderr
			if len(rest) > 0 {
				w = stdout
			}
			fmt.Fprint(w, groupUsage(cmd))
			if len(rest) == 0 {
				return fmt.Errorf("%s: want a subcommand: %s", cmd, strings.Join(subs, ", "))
			}
			return nil
		}
		if !slices.Contains(subs, rest[0]) {
			fmt.Fprint(stderr, groupUsage(cmd))
			return fmt.Errorf("%s: unknown subcommand %q", cmd, rest[0])
		}
	}
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
	case "taxonomy":
		return runTaxonomy(ctx, rest, stdout, stderr)
	case "releases":
		return runReleases(ctx, rest, stdout, stderr)
	case "templates":
		return runTemplates(ctx, rest, stdout, stderr)
	case "users":
		return runUsers(ctx, rest, stdout, stderr)
	case "tokens":
		return runTokens(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// subcommands lists the subcommands of each command that has them.
var subcommands = map[string][]string{
	"contacts":  {"import", "export"},
	"releases":  {"create", "edit", "delete", "list", "publish", "status", "watch", "audience", "lift", "postpone", "recall", "correct"},
	"users":     {"add", "list", "disable"},
	"tokens":    {"create", "list", "revoke"},
	"taxonomy":  {"export", "import"},
	"templates": {"preview"},
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// groupUsage is the part of the usage text about one command.
func groupUsage(cmd string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	in := false
	for _, line := range strings.Split(usage, "\n") {
		// A long command's description goes on an indented line of its own.
		cont := in && strings.HasPrefix(line, "        ")
		in = strings.HasPrefix(line, "  "+cmd+" ") || cont
		if in {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\nRun 'communique " + cmd + " SUBCOMMAND -h' for its flags.\n")
	return b.String()
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
