package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/communique/communique/app"
	"github.com/communique/communique/demo"
)

// runServer runs dev, serve or dispatch until a signal arrives.
func runServer(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	noDispatcher := fs.Bool("no-dispatcher", false, "serve: do not run dispatcher workers in this process")
	noAPI := fs.Bool("no-api", false, "serve: do not run the HTTP server and outbox relay in this process")
	noDemo := fs.Bool("no-demo", false, "dev: do not load demo data")
	privateDB := fs.Bool("private-db", false, "dev: run a private PostgreSQL under the data directory (what dev does when no server answers at the default URL)")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile to this file until shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", mode, fs.Arg(0))
	}
	if *privateDB && mode != "dev" {
		return fmt.Errorf("%s: -private-db is for dev only", mode)
	}
	switch mode {
	case "dev":
		cfg.Dev, cfg.API, cfg.Dispatcher, cfg.Migrate = true, true, true, true
		// No load balancer waits on a development machine's /readyz.
		if !settingGiven(fs, "shutdown-delay", "COMMUNIQUE_SHUTDOWN_DELAY") {
			cfg.ShutdownDelay = "0s"
		}
	case "serve":
		cfg.API, cfg.Dispatcher, cfg.Migrate = !*noAPI, !*noDispatcher, true
	case "dispatch":
		cfg.Dispatcher = true
	}
	log, err := newLogger(stderr, cfg.LogLevel, mode == "dev")
	if err != nil {
		return err
	}
	var db devDB
	if mode == "dev" {
		if db, err = devDatabase(ctx, &cfg, databaseGiven(fs), *privateDB, log); err != nil {
			return err
		}
		if db.cluster != nil {
			// Deferred first, so it runs last: after the service has
			// closed its connections, also when it fails to start.
			defer func() {
				if err := db.cluster.Stop(); err != nil {
					log.Error("stop the private PostgreSQL", "err", err)
				}
			}()
		}
	}
	a := app.New(cfg, log)
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	if mode == "dev" {
		if !*noDemo {
			if err := demo.Load(ctx, a.DB); err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
		}
		printDevBanner(stdout, a, db.about, !*noDemo)
	}
	log.Info("started", "mode", mode)
	<-ctx.Done()
	log.Info("shutting down")
	return a.Close()
}

// settingGiven reports whether a setting was given as a flag or in the
// environment rather than left at its default.
func settingGiven(fs *flag.FlagSet, name, env string) bool {
	_, given := os.LookupEnv(env)
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

func printDevBanner(w io.Writer, a *app.App, database string, withDemo bool) {
	c := a.Config()
	fmt.Fprintf(w, `
Communiqué is running (development mode).

  Web:          %[1]s
  Press office: %[1]s/office/signin
  Mailbox:      %[1]s/dev/mailbox
  Bounces:      smtp://%[7]s (bounces, complaints, unsubscribe mail)
  Admin token:  %[2]s
  NATS:         %[3]s
  Database:     %[6]s
%[5]s
Publish the demo release and watch the mailbox fill:

  curl -s -X POST -H 'Authorization: Bearer %[2]s' %[1]s/api/v1/releases/%[4]d/publish
  curl -s -H 'Authorization: Bearer %[2]s' %[1]s/api/v1/releases/%[4]d/report

Stop with Ctrl-C.
`, a.URL(), c.AdminToken, natsLine(a), demo.ReleaseID(context.Background(), a.DB), demoUsers(withDemo), database, a.BounceAddr())
}

// demoUsers lists the demo users the press office can be signed in as.
func demoUsers(withDemo bool) string {
	if !withDemo {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nSign in to the press office as any of the demo users:\n\n")
	for _, u := range demo.Users {
		fmt.Fprintf(&b, "  %-27s %-28s %s\n", u.Email, u.Password, u.Role)
	}
	return b.String()
}

// natsLine shows the NATS server in use without its credentials, and where
// the embedded server's token is kept.
func natsLine(a *app.App) string {
	s := app.RedactURL(a.NATSURL())
	if f := a.NATSTokenFile(); f != "" {
		s += " (token in " + f + ")"
	}
	return s
}
