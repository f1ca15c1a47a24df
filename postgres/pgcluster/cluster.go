package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Options say where a cluster lives and where its programs are found.
type Options struct {
	// Dir is the cluster's data directory, created if missing.
	Dir string
	// SearchDirs are where the programs are looked for; SearchDirs() when nil.
	SearchDirs []string
	Logger     *slog.Logger
}

// Cluster is a private PostgreSQL server running on a loopback port,
// with trust authentication for the user postgres.
type Cluster struct {
	dir      string
	port     int
	programs Programs
	owner    owner
	log      *slog.Logger
	created  bool

	stopOnce sync.Once
	stopErr  error
}

// Start makes the cluster in o.Dir on first use (initdb), or reuses the
// one there, and starts its server on a free port of 127.0.0.1. A server
// already running on that directory, left by a process that was killed,
// is taken over rather than started twice. The caller must Stop it.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	search := o.SearchDirs
	if search == nil {
		search = SearchDirs()
	}
	var made string
	if b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION")); err == nil {
		made = strings.TrimSpace(string(b))
	}
	programs, err := FindPrograms(ctx, search, made)
	if err != nil {
		if made != "" {
			return nil, fmt.Errorf("the cluster in %s was made by PostgreSQL %s: %w; install PostgreSQL %s, or move the directory away to start a new cluster", dir, made, err, made)
		}
		return nil, err
	}
	own, err := ownerFor(dir)
	if err != nil {
		return nil, err
	}
	if err := own.makeDir(dir, log); err != nil {
		return nil, fmt.Errorf("cluster directory %s: %w", dir, err)
	}
	c := &Cluster{dir: dir, programs: programs, owner: own, log: log}
	if made == "" {
		if err := c.initdb(); err != nil {
			return nil, err
		}
		c.created = true
	} else if port, ok := c.running(); ok {
		log.Warn("a PostgreSQL server was still running on the private cluster; using it", "dir", dir, "port", port)
		c.port = port
		return c, nil
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

// Dir is the cluster's data directory.
func (c *Cluster) Dir() string { return c.dir }

// Port is the TCP port its server listens on, on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Created reports whether Start made the cluster, rather than reusing one.
func (c *Cluster) Created() bool { return c.created }

// Programs are the PostgreSQL programs that run the cluster.
func (c *Cluster) Programs() Programs { return c.programs }

// URL is the address of database on the cluster's server.
func (c *Cluster) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// initdb makes the cluster. Trust authentication is safe only because
// the server listens on loopback alone and on no Unix socket: it is for
// a development machine, never a shared one.
func (c *Cluster) initdb() error {
	args := []string{"-D", c.dir, "--username=postgres", "--auth=trust", "--encoding=UTF8"}
	// lower() must agree with Go's strings.ToLower on non-ASCII addresses,
	// which the C locale does not.
	switch runtime.GOOS {
	case "linux":
		args = append(args, "--locale=C.UTF-8")
	case "darwin":
		args = append(args, "--locale=en_US.UTF-8")
	}
	c.log.Info("creating a private PostgreSQL cluster", "dir", c.dir, "postgresql", c.programs.Major, "programs", c.programs.Dir, "user", c.owner.name)
	if out, err := c.owner.command(c.programs.path("initdb"), args...).CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", c.dir, err, lastLines(out, 10))
	}
	return nil
}

// running reports whether a server runs on the cluster, and its port.
func (c *Cluster) running() (int, bool) {
	if err := c.owner.command(c.programs.path("pg_ctl"), "status", "-D", c.dir).Run(); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	// The fourth line of postmaster.pid is the port.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

// startTries bounds the attempts to start on a free port: another
// process may take the port between the check and the server's bind.
const startTries = 3

func (c *Cluster) start() error {
	logFile := filepath.Join(c.dir, "server.log")
	var err error
	for try := 0; try < startTries; try++ {
		if c.port, err = freePort(); err != nil {
			return err
		}
		// No Unix socket: /var/run/postgresql may not be writable, and a
		// socket path under a deep data directory may be too long.
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", c.port)
		var out []byte
		out, err = c.owner.command(c.programs.path("pg_ctl"), "start", "-D", c.dir, "-l", logFile, "-w", "-t", "60", "-s", "-o", opts).CombinedOutput()
		if err == nil {
			c.log.Info("private PostgreSQL started", "dir", c.dir, "port", c.port)
			return nil
		}
		tail, _ := os.ReadFile(logFile)
		err = fmt.Errorf("start PostgreSQL on %s: %w: %s\n%s (the end of %s)", c.dir, err, strings.TrimSpace(string(out)), lastLines(tail, 10), logFile)
		if !bytes.Contains(tail, []byte("already in use")) {
			break
		}
	}
	return err
}

// Stop stops the server (fast: open sessions are ended) and keeps the
// cluster's files for the next Start. Only the first call does anything.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		out, err := c.owner.command(c.programs.path("pg_ctl"), "stop", "-D", c.dir, "-m", "fast", "-w", "-t", "60", "-s").CombinedOutput()
		if err != nil {
			c.stopErr = fmt.Errorf("stop PostgreSQL on %s: %w: %s", c.dir, err, strings.TrimSpace(string(out)))
			return
		}
		c.log.Info("private PostgreSQL stopped", "dir", c.dir)
	})
	return c.stopErr
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// lastLines is the end of a program's output or log, enough to say why
// it failed.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// IsNoPrograms reports whether err means PostgreSQL's programs are not
// installed at all.
func IsNoPrograms(err error) bool { return errors.Is(err, ErrNoPrograms) }
