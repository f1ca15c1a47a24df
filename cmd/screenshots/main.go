// Command screenshots refreshes the pictures of the main pages under
// docs/screenshots, which the README shows. It starts the whole service
// in this process as `communique dev` does, with the demo data, in a
// throwaway database and data directory; signs in to the press office as
// the demo administrator, publishes the demo release so that the live
// view and the report have numbers, and photographs each page in a
// headless Chromium. The database and the directory are removed when it
// ends, whether it succeeded or not.
//
//	go run ./cmd/screenshots [-out docs/screenshots] [-postgres URL]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/communique/communique/app"
	"github.com/communique/communique/demo"
	"github.com/communique/communique/headless"
	"github.com/communique/communique/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("docs", "screenshots"), "directory the PNG files are written to")
	server := fs.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server to make the throwaway database on (any database of it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	exe, err := headless.Find()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "communique-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dbURL, drop, err := throwawayDatabase(ctx, *server)
	if err != nil {
		return err
	}
	// Deferred before the service, so it runs after the service closed
	// its connections.
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintln(stderr, "screenshots:", err)
		}
	}()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := app.New(app.Config{
		DatabaseURL: dbURL, HTTPAddr: "127.0.0.1:0", DataDir: dir,
		Dev: true, API: true, Dispatcher: true, Migrate: true,
		Clearance: "off", ShutdownDelay: "0s", SoftBounceLimit: "5", StreamReplicas: "1", LogLevel: "warn",
	}, log)
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return fmt.Errorf("start the service: %w", err)
	}
	if err := demo.Load(ctx, a.DB); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	id := demo.ReleaseID(ctx, a.DB)
	if id == 0 {
		return errors.New("the demo data has no release")
	}
	fmt.Fprintf(stdout, "service at %s, writing to %s\n", a.URL(), *out)
	shots, err := photograph(ctx, exe, a.URL(), id, *out)
	for _, s := range shots {
		fmt.Fprintln(stdout, " ", s)
	}
	if err != nil {
		return err
	}
	return a.Close()
}

// throwawayDatabase creates a database of a name no one else uses on the
// server of serverURL, and returns its URL and what drops it.
func throwawayDatabase(ctx context.Context, serverURL string) (string, func() error, error) {
	u, err := url.Parse(serverURL)
	if err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("-postgres %q: want a postgres:// URL", serverURL)
	}
	admin, err := postgres.Open(ctx, serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL at %s: %w", postgres.Redact(serverURL), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "communique_screenshots_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() error {
		defer admin.Close()
		// A fresh context: the run's may be cancelled, and the database
		// must go all the same.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
