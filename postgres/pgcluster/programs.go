// Package pgcluster runs a private PostgreSQL cluster for `communique dev`
// on a machine where no server is running: initdb once under a directory
// of its own, then pg_ctl start on a free loopback port, and pg_ctl stop
// when the service stops. It uses the PostgreSQL programs installed on
// the machine and downloads nothing.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Programs is a directory holding PostgreSQL's server programs (initdb,
// pg_ctl and postgres) of one major version.
type Programs struct {
	Dir string
	// Major is the major version, such as "15".
	Major string
}

func (p Programs) path(name string) string { return filepath.Join(p.Dir, name) }

// serverPrograms are what a cluster needs, all from one installation.
var serverPrograms = []string{"initdb", "pg_ctl", "postgres"}

// SearchDirs lists where PostgreSQL's programs are looked for: the
// directories on PATH first, then the usual install places, newest
// version first: Debian and Ubuntu's /usr/lib/postgresql/*/bin, the PGDG
// packages' /usr/pgsql-*/bin, Homebrew and Postgres.app.
func SearchDirs() []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	for _, pattern := range []string{
		"/usr/lib/postgresql/*/bin",
		"/usr/pgsql-*/bin",
		"/opt/homebrew/opt/postgresql@*/bin",
		"/usr/local/opt/postgresql@*/bin",
		"/opt/homebrew/opt/postgresql/bin",
		"/usr/local/opt/postgresql/bin",
		"/Applications/Postgres.app/Contents/Versions/*/bin",
		"/usr/local/pgsql/bin",
	} {
		found, _ := filepath.Glob(pattern)
		slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
		dirs = append(dirs, found...)
	}
	return dirs
}

var digits = regexp.MustCompile(`\d+`)

// versionOf is the first number in an install path (15 in
// /usr/lib/postgresql/15/bin), so that newer installs sort first.
func versionOf(path string) int {
	n, _ := strconv.Atoi(digits.FindString(path))
	return n
}

// ErrNoPrograms means no directory searched holds initdb, pg_ctl and
// postgres together.
var ErrNoPrograms = errors.New("no PostgreSQL programs (initdb, pg_ctl, postgres) found")

// FindPrograms returns the first of dirs that holds PostgreSQL's server
// programs, of major version want when want is not empty: a cluster can
// only be run by the version that made it.
func FindPrograms(ctx context.Context, dirs []string, want string) (Programs, error) {
	var others []string
	seen := map[string]bool{}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		// PATH often holds links into an install place (Homebrew's
		// /opt/homebrew/bin, Debian's /usr/local/bin): follow them so an
		// installation is looked at once.
		dir = resolveDir(dir)
		if seen[dir] || !hasPrograms(dir) {
			continue
		}
		seen[dir] = true
		p := Programs{Dir: dir}
		major, err := p.version(ctx)
		if err != nil {
			continue
		}
		p.Major = major
		if want == "" || want == major {
			return p, nil
		}
		others = append(others, major+" in "+dir)
	}
	if len(others) > 0 {
		return Programs{}, fmt.Errorf("PostgreSQL %s programs not found (found only %s)", want, strings.Join(others, ", "))
	}
	return Programs{}, ErrNoPrograms
}

// resolveDir is dir with its links followed when its pg_ctl is a link,
// else dir itself.
func resolveDir(dir string) string {
	target, err := filepath.EvalSymlinks(filepath.Join(dir, "pg_ctl"))
	if err != nil {
		return dir
	}
	return filepath.Dir(target)
}

func hasPrograms(dir string) bool {
	for _, name := range serverPrograms {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

var versionLine = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// version reads the major version from `pg_ctl --version`, which prints
// "pg_ctl (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)".
func (p Programs) version(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, p.path("pg_ctl"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", p.path("pg_ctl"), err)
	}
	m := versionLine.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s --version said %q", p.path("pg_ctl"), strings.TrimSpace(string(out)))
	}
	return string(m[1]), nil
}

// InstallHint is what to do when neither a server nor the programs to
// start one are there, in three lines. The compose file's postgres
// service publishes no port (the service reaches it by name), so the
// Docker line publishes one on loopback.
func InstallHint() string {
	return "  - install PostgreSQL: apt-get install postgresql (Debian, Ubuntu) or brew install postgresql@17 (Homebrew), and run this again;\n" +
		"  - or run one in Docker from this repository: docker compose run -d -p 127.0.0.1:5432:5432 postgres;\n" +
		"  - or set COMMUNIQUE_DATABASE_URL (-database-url) to a server of yours: postgres://USER@HOST:5432/communique?sslmode=disable"
}
