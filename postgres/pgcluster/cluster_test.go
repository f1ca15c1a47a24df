package pgcluster_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/communique/communique/postgres/pgcluster"
)

// start starts the cluster in dir and stops it when the test ends, even
// when the test fails first.
func start(t *testing.T, dir string) *pgcluster.Cluster {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir})
	if err != nil {
		t.Fatalf("start the cluster (PostgreSQL's programs must be installed): %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

func open(t *testing.T, c *pgcluster.Cluster) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("connect to %s: %v", c.URL("postgres"), err)
	}
	return db
}

func systemID(t *testing.T, db *sqlx.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, `SELECT system_identifier FROM pg_control_system()`); err != nil {
		t.Fatal(err)
	}
	return id
}

// A cluster is made once, serves on loopback, stops leaving its files,
// and the next start reuses them: same cluster, same data.
func TestStartStopAndReuse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "postgres")
	c := start(t, dir)
	if !c.Created() || c.Port() == 0 || c.Port() == 5432 {
		t.Fatalf("first start: created %v, port %d", c.Created(), c.Port())
	}
	db := open(t, c)
	id := systemID(t, db)
	var ctype string
	db.Get(&ctype, `SELECT lower('JOSÉ')`)
	if ctype != "josé" {
		t.Errorf("lower('JOSÉ') is %q: the cluster's locale does not fold non-ASCII letters as Go does", ctype)
	}
	if _, err := db.Exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from the first start')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Stop, postmaster.pid: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("after Stop the cluster's files are gone: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cluster directory: %v %v, want mode 0700", fi.Mode(), err)
	}

	again := start(t, dir)
	if again.Created() {
		t.Fatal("the second start made a new cluster")
	}
	db = open(t, again)
	if got := systemID(t, db); got != id {
		t.Fatalf("system identifier %d, was %d: not the same cluster", got, id)
	}
	var v string
	if err := db.Get(&v, `SELECT v FROM kept`); err != nil || v != "from the first start" {
		t.Fatalf("kept row: %q %v", v, err)
	}
}

// A server left running by a process that was killed is taken over, not
// started a second time; one whose processes were all killed leaves a
// stale lock file that the next start gets past.
func TestLeftOverServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "postgres")
	first := start(t, dir)
	id := systemID(t, open(t, first))

	taken := start(t, dir)
	if taken.Port() != first.Port() || taken.Created() {
		t.Fatalf("took over port %d (created %v), the server runs on %d", taken.Port(), taken.Created(), first.Port())
	}

	// Kill every process of the server at once, as a crash would.
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	pgid, err := syscall.Getpgid(pid)
	if err != nil || pgid <= 1 {
		t.Fatalf("process group of %d: %d %v", pid, pgid, err)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not die")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("the killed server left no lock file to get past: %v", err)
	}
	after := start(t, dir)
	if after.Created() {
		t.Fatal("made a new cluster after the crash")
	}
	if got := systemID(t, open(t, after)); got != id {
		t.Fatalf("system identifier %d after the crash, was %d", got, id)
	}
}

// Without PostgreSQL's programs, Start says so and leaves nothing behind.
func TestNoPrograms(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "postgres")
	empty := t.TempDir()
	// A directory with only some of the programs is not an installation.
	os.WriteFile(filepath.Join(empty, "pg_ctl"), []byte("#!/bin/sh\n"), 0o755)
	_, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir, SearchDirs: []string{empty}})
	if !pgcluster.IsNoPrograms(err) {
		t.Fatalf("Start without programs: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start without programs made %s: %v", dir, err)
	}
	hint := pgcluster.InstallHint()
	if n := strings.Count(hint, "\n") + 1; n != 3 {
		t.Fatalf("the hint is %d lines:\n%s", n, hint)
	}
	for _, want := range []string{"apt-get install postgresql", "brew install postgresql", "docker compose", "COMMUNIQUE_DATABASE_URL"} {
		if !strings.Contains(hint, want) {
			t.Errorf("the hint does not say %q:\n%s", want, hint)
		}
	}
}

// A cluster is run by the major version that made it, or not at all.
func TestFindProgramsByVersion(t *testing.T) {
	ctx := context.Background()
	p, err := pgcluster.FindPrograms(ctx, pgcluster.SearchDirs(), "")
	if err != nil {
		t.Fatalf("PostgreSQL's programs must be installed: %v", err)
	}
	out, err := exec.Command(filepath.Join(p.Dir, "postgres"), "--version").Output()
	if err != nil || !strings.Contains(string(out), ") "+p.Major+".") {
		t.Fatalf("found %+v, whose postgres says %q (%v)", p, out, err)
	}
	same, err := pgcluster.FindPrograms(ctx, pgcluster.SearchDirs(), p.Major)
	if err != nil || same.Major != p.Major {
		t.Fatalf("asked for %s: %+v %v", p.Major, same, err)
	}
	_, err = pgcluster.FindPrograms(ctx, pgcluster.SearchDirs(), "9")
	if err == nil || pgcluster.IsNoPrograms(err) || !strings.Contains(err.Error(), "found only "+p.Major+" in "+p.Dir) {
		t.Fatalf("asked for a version not installed: %v", err)
	}
}

// A cluster directory that is not a whole cluster is an error that names
// it and says what PostgreSQL said, and no server is left running.
func TestBrokenCluster(t *testing.T) {
	p, err := pgcluster.FindPrograms(context.Background(), pgcluster.SearchDirs(), "")
	if err != nil {
		t.Fatalf("PostgreSQL's programs must be installed: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "postgres")
	os.Mkdir(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte(p.Major+"\n"), 0o644)
	c, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir})
	if err == nil {
		c.Stop()
		t.Fatal("a directory holding only PG_VERSION started")
	}
	if !strings.Contains(err.Error(), "start PostgreSQL on "+dir) || !strings.Contains(err.Error(), "postgresql.conf") {
		t.Fatalf("the error does not name the cluster and the cause: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed start left postmaster.pid: %v", err)
	}

	// A cluster of a version not installed is refused before anything runs.
	os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("9\n"), 0o644)
	_, err = pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "the cluster in "+dir+" was made by PostgreSQL 9") {
		t.Fatalf("a cluster of PostgreSQL 9: %v", err)
	}
}
