package resilience_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/communique/communique/logtest"
)

// process is a `communique serve` or `communique dispatch` the test
// starts, stops with a signal and starts again with the same arguments.
type process struct {
	t    *testing.T
	args []string
	cmd  *exec.Cmd
	out  *logtest.Buffer
	// url is a serve process's HTTP address, read from its log.
	url string
}

// startProcess runs the binary with args (a command and its flags) and,
// for serve, waits until /readyz answers 200.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{t: t, args: args}
	p.start()
	t.Cleanup(func() {
		if p.cmd != nil && p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		if t.Failed() {
			out := p.out.String()
			t.Logf("%s's last output:\n%s", p.args[0], out[max(0, len(out)-4000):])
		}
	})
	return p
}

func (p *process) start() {
	p.t.Helper()
	p.out = &logtest.Buffer{}
	p.cmd = exec.Command(binary, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	if p.args[0] != "serve" {
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.url == "" {
			p.url = logged(p.out, "HTTP server listening", "url")
		}
		if p.url != "" {
			if res, err := http.Get(p.url + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("serve not ready after 60 s:\n%s", p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// terminate sends SIGTERM and waits for the process to exit, failing the
// test unless it exits 0 within limit; it returns how long it took.
func (p *process) terminate(limit time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("%s exited with %v after SIGTERM:\n%s", p.args[0], err, p.out)
		}
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-done
		p.t.Fatalf("%s still running %v after SIGTERM:\n%s", p.args[0], limit, p.out)
	}
	return time.Since(start)
}

// restart starts the process again after terminate; a serve process may
// come back on another port.
func (p *process) restart() {
	p.t.Helper()
	p.url = ""
	p.start()
}

// errors returns the lines the process logged at level error.
func (p *process) errors() []string {
	var errs []string
	for _, line := range strings.Split(p.out.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			errs = append(errs, line)
		}
	}
	return errs
}

// serveArgs are the flags of a serve process on dsn and natsURL sending
// through smtpURL, with the resilience tests' short lease and retries.
func serveArgs(t *testing.T, dsn, natsURL, smtpURL string, extra ...string) []string {
	return append([]string{"serve", "-database-url", dsn, "-nats-url", natsURL, "-smtp-url", smtpURL,
		"-from", "Media Office <media@example.org>", "-secret", testSecret, "-admin-token", adminToken,
		"-http-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-clearance", "off",
		"-lease", "3s", "-retry-base", "200ms", "-log-level", "info"}, extra...)
}

// dispatchArgs are the flags of a dispatch process.
func dispatchArgs(dsn, natsURL, smtpURL string, extra ...string) []string {
	return append([]string{"dispatch", "-database-url", dsn, "-nats-url", natsURL, "-smtp-url", smtpURL,
		"-from", "Media Office <media@example.org>", "-secret", testSecret,
		"-lease", "3s", "-retry-base", "200ms", "-log-level", "warn"}, extra...)
}

const adminToken = "resilience-admin-token-0123456789abcdef"

// logged returns the field key of the first JSON log line whose message
// is msg, or "".
func logged(b *logtest.Buffer, msg, key string) string {
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
			return fmt.Sprint(line[key])
		}
	}
	return ""
}
