package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/communique/communique/app"
	"github.com/communique/communique/postgres/pgcluster"
)

// devDB is the database dev settled on, and the private cluster it
// started for it, if any, which the caller stops after the service.
type devDB struct {
	cluster *pgcluster.Cluster
	// about says which database it is, for the banner.
	about string
}

// probeTimeout bounds the check for a server at the default URL: a
// server on loopback answers at once, and a newcomer should not wait.
const probeTimeout = time.Second

// devDatabase settles the database of `communique dev`: the one
// configured, or, when none was set and no server answers at the default
// URL, or when asked with private, a private cluster under the data
// directory. explicit says whether COMMUNIQUE_DATABASE_URL or
// -database-url was given.
func devDatabase(ctx context.Context, cfg *app.Config, explicit, private bool, log *slog.Logger) (devDB, error) {
	if private && explicit {
		return devDB{}, fmt.Errorf("dev: -private-db and COMMUNIQUE_DATABASE_URL (-database-url) exclude each other: give one")
	}
	if cfg.DatabaseURL == "" && !explicit {
		// An empty COMMUNIQUE_DATABASE_URL counts as unset.
		cfg.DatabaseURL = defaultDatabaseURL()
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil || u.Host == "" {
		// Not a URL dev could probe; the connection will say what is wrong.
		return devDB{about: app.RedactURL(cfg.DatabaseURL)}, nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	if !private {
		if explicit || answers(ctx, host) {
			return devDB{about: app.RedactURL(cfg.DatabaseURL)}, nil
		}
		log.Info("no PostgreSQL server answers at the default address; starting a private one", "addr", host)
	}
	dir := filepath.Join(cfg.DataDir, "postgres")
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Logger: log})
	if pgcluster.IsNoPrograms(err) {
		why := "no PostgreSQL server answers at " + host + ", and"
		if private {
			why = "-private-db:"
		}
		return devDB{}, fmt.Errorf("%s PostgreSQL's programs (initdb, pg_ctl, postgres) are not on PATH nor in the usual install places, so dev cannot start one in %s. Either:\n%s", why, dir, pgcluster.InstallHint())
	}
	if err != nil && !private {
		return devDB{}, fmt.Errorf("no PostgreSQL server answers at %s, and a private one could not be started: %w", host, err)
	}
	if err != nil {
		return devDB{}, fmt.Errorf("-private-db: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = "communique"
	}
	cfg.DatabaseURL = c.URL(name)
	return devDB{cluster: c, about: fmt.Sprintf("%s (private PostgreSQL %s in %s, stopped with dev)", cfg.DatabaseURL, c.Programs().Major, c.Dir())}, nil
}

func defaultDatabaseURL() string {
	for _, s := range app.Settings() {
		if s.Env == "COMMUNIQUE_DATABASE_URL" {
			return s.Default
		}
	}
	return ""
}

// answers reports whether something accepts connections at addr.
func answers(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: probeTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// databaseGiven reports whether the database URL was set rather than
// left at its default.
func databaseGiven(fs *flag.FlagSet) bool {
	given := os.Getenv("COMMUNIQUE_DATABASE_URL") != ""
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "database-url" })
	return given
}
