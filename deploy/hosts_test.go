package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The systemd units run the binary's commands with its settings, and stop
// it with SIGTERM with time to drain.
func TestSystemdUnits(t *testing.T) {
	for unit, command := range map[string]string{"communique-serve.service": "serve", "communique-dispatch.service": "dispatch"} {
		data, err := os.ReadFile(filepath.Join("systemd", unit))
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string][]string{}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				keys[k] = append(keys[k], v)
			}
		}
		for _, env := range keys["Environment"] {
			name, _, _ := strings.Cut(env, "=")
			checkEnv(t, unit, name)
		}
		exec := strings.Fields(strings.Join(keys["ExecStart"], ""))
		if len(exec) < 2 || exec[0] != "/usr/local/bin/communique" || exec[1] != command {
			t.Errorf("%s: ExecStart %v, want communique %s", unit, exec, command)
		} else {
			checkArgs(t, unit, exec[1:])
		}
		if strings.Join(keys["KillSignal"], "") != "SIGTERM" {
			t.Errorf("%s: KillSignal %v", unit, keys["KillSignal"])
		}
		var stop int
		if _, err := fmt.Sscan(strings.Join(keys["TimeoutStopSec"], ""), &stop); err != nil || stop < 30 {
			t.Errorf("%s: TimeoutStopSec %v, want time to drain", unit, keys["TimeoutStopSec"])
		}
		if f := strings.Join(keys["EnvironmentFile"], ""); f != "/etc/communique/communique.env" {
			t.Errorf("%s: EnvironmentFile %q", unit, f)
		}
		if strings.Join(keys["User"], "") == "" || strings.Join(keys["User"], "") == "root" {
			t.Errorf("%s runs as %v", unit, keys["User"])
		}
	}
}

// The alert rules parse, have a severity and a summary, and name only
// metrics the binary exports.
func TestAlertRules(t *testing.T) {
	src, err := os.ReadFile("../metrics/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name: "(communique_[a-z_]+)"`).FindAllSubmatch(src, -1) {
		name := string(m[1])
		exported[name] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			exported[name+suffix] = true
		}
	}
	if len(exported) == 0 {
		t.Fatal("no metric found in metrics/metrics.go")
	}
	data, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	seen, n := map[string]bool{}, 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("rule %q: unnamed or named twice", r.Alert)
			}
			seen[r.Alert] = true
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q", r.Alert, r.For)
				}
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") || strings.Count(r.Expr, "{") != strings.Count(r.Expr, "}") {
				t.Errorf("%s: unbalanced expression %q", r.Alert, r.Expr)
			}
			for _, m := range regexp.MustCompile(`\bcommunique_[a-z_]+`).FindAllString(r.Expr, -1) {
				if !exported[m] {
					t.Errorf("%s: %s is not a metric the binary exports", r.Alert, m)
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("%d alert rules", n)
	}
}

// The image is built without cgo onto a distroless base, as a user other
// than root.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "FROM ") {
			froms = append(froms, strings.Fields(line)[1])
		}
	}
	if len(froms) < 2 {
		t.Fatalf("FROM %v: want a build stage and a runtime stage", froms)
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("runtime image %s, want distroless static, nonroot", final)
	}
	if !strings.Contains(string(data), "CGO_ENABLED=0") {
		t.Error("the binary is not built static (CGO_ENABLED=0) for a base without libc")
	}
}
