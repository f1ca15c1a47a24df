// Package natstest starts NATS servers for tests: one embedded in the test
// process (the current release), or the machine's nats-server binary (the
// oldest release the product supports) on a port and store of its own.
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/communique/communique/events"
)

// Embedded starts an in-process NATS server with JetStream for t and
// returns its URL.
func Embedded(t testing.TB) string {
	t.Helper()
	ns, err := events.StartEmbedded(t.TempDir(), -1, "")
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// Binary is the nats-server executable External runs; tests fail, not skip,
// when it is missing, because CI must prove compatibility with it.
var Binary = "/usr/sbin/nats-server"

// Process is a nats-server child process owned by a test.
type Process struct {
	URL  string
	port int
	dir  string
	cmd  *exec.Cmd
	t    testing.TB
	// args replace the default command line, for servers with a
	// configuration file.
	args []string
}

// External starts the machine's nats-server binary with JetStream on a free
// loopback port and a store directory of its own.
func External(t testing.TB) *Process {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("natstest: %s is required (install Debian's nats-server): %v", Binary, err)
	}
	p := &Process{port: freePort(t), dir: t.TempDir(), t: t}
	p.URL = fmt.Sprintf("nats://127.0.0.1:%d", p.port)
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Start starts the server (again, after Stop) on the same port and store.
func (p *Process) Start() {
	p.t.Helper()
	args := p.args
	if args == nil {
		args = []string{"-a", "127.0.0.1", "-p", fmt.Sprint(p.port), "-js", "-sd", p.dir}
	}
	p.cmd = exec.Command(Binary, args...)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("natstest: start %s: %v", Binary, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.port), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("natstest: %s did not listen on %d", Binary, p.port)
}

// Stop kills the server this test started; idempotent.
func (p *Process) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
