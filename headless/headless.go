// Package headless finds the browser that the project's browser tests
// drive with chromedp (Debian's chromium, which CI installs) and runs
// the pinned axe-core accessibility check in it.
package headless

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the path of the browser to drive. Under CI a missing
// browser fails the test; elsewhere it skips it, saying how to install
// one.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := Find()
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs Debian's chromium package)")
	}
	t.Skip(err)
	return ""
}

// Find returns the path of the browser to drive, for programs that are
// not tests (cmd/screenshots), or an error saying how to install one.
func Find() (string, error) {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is not installed: apt-get install -y chromium")
}
