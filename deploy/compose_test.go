// Docker cannot run where the tests run, so this checks what can be
// checked without it: that docker-compose.yml parses, names the services
// the product needs, and configures communique only with settings the
// binary reads, pointing each at the service that provides it.
package deploy_test

import (
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/communique/communique/app"
	"github.com/communique/communique/mailer"
)

func TestComposeMatchesConfiguration(t *testing.T) {
	c := readCompose(t, "../docker-compose.yml")
	for _, name := range []string{"postgres", "nats", "mailpit", "communique"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	svc := c.Services["communique"]
	if len(svc.Command) == 0 || svc.Command[0] != "serve" {
		t.Errorf("communique runs %v, want serve", svc.Command)
	}
	if _, err := os.Stat("../" + svc.Build.Dockerfile); err != nil {
		t.Errorf("Dockerfile %q: %v", svc.Build.Dockerfile, err)
	}
	for dep := range svc.DependsOn {
		if _, ok := c.Services[dep]; !ok {
			t.Errorf("communique depends on unknown service %q", dep)
		}
	}

	env := svc.Environment
	checkEnv(t, "docker-compose.yml communique", slices.Collect(maps.Keys(env))...)
	// serve needs these; everything else has a default.
	for _, k := range []string{"COMMUNIQUE_DATABASE_URL", "COMMUNIQUE_NATS_URL", "COMMUNIQUE_SMTP_URL",
		"COMMUNIQUE_FROM", "COMMUNIQUE_SECRET", "COMMUNIQUE_ADMIN_TOKEN", "COMMUNIQUE_HTTP_ADDR"} {
		if env[k] == "" {
			t.Errorf("%s is not set", k)
		}
	}

	cfg := app.Config{DatabaseURL: env["COMMUNIQUE_DATABASE_URL"], NATSURL: env["COMMUNIQUE_NATS_URL"],
		SMTPURL: env["COMMUNIQUE_SMTP_URL"], From: env["COMMUNIQUE_FROM"], Secret: env["COMMUNIQUE_SECRET"], AdminToken: env["COMMUNIQUE_ADMIN_TOKEN"],
		BaseURL: env["COMMUNIQUE_BASE_URL"], API: true, Dispatcher: true}
	if err := cfg.Validate(); err != nil {
		t.Errorf("compose configuration is refused: %v", err)
	}
	hostOf := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			return ""
		}
		return u.Hostname()
	}
	if h := hostOf(cfg.DatabaseURL); h != "postgres" {
		t.Errorf("database host %q, want the postgres service", h)
	}
	if h := hostOf(cfg.NATSURL); h != "nats" {
		t.Errorf("NATS host %q, want the nats service", h)
	}
	targets, err := mailer.ParseTargets(cfg.SMTPURL)
	if err != nil {
		t.Fatalf("COMMUNIQUE_SMTP_URL: %v", err)
	}
	if targets[0].Host != "mailpit" || targets[0].Port != 1025 || targets[0].TLS != "none" {
		t.Errorf("SMTP target %v, want mailpit:1025 without TLS", targets[0])
	}
	if !strings.Contains(strings.Join(c.Services["nats"].Command, " "), "-js") {
		t.Errorf("nats runs without JetStream: %v", c.Services["nats"].Command)
	}
}

type composeFile struct {
	Services map[string]struct {
		Image         string            `yaml:"image"`
		Command       []string          `yaml:"command"`
		Environment   map[string]string `yaml:"environment"`
		Profiles      []string          `yaml:"profiles"`
		Ports         []string          `yaml:"ports"`
		ContainerName string            `yaml:"container_name"`
		DependsOn     map[string]any    `yaml:"depends_on"`
		StopSignal    string            `yaml:"stop_signal"`
		StopGrace     string            `yaml:"stop_grace_period"`
		Build         struct {
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
	} `yaml:"services"`
}

func readCompose(t *testing.T, path string) composeFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// The production compose file: a three-node NATS cluster with JetStream,
// migrations first, serve and a dispatch service that scales, Mailpit only
// in the dev profile, and the same images as docker-compose.yml.
func TestProductionCompose(t *testing.T) {
	c := readCompose(t, "compose.yaml")
	root := readCompose(t, "../docker-compose.yml")
	for _, name := range []string{"postgres", "nats1", "nats2", "nats3", "migrate", "serve", "dispatch", "mailpit"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	for name, svc := range c.Services {
		for dep := range svc.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %q", name, dep)
			}
			if dep == "mailpit" {
				t.Errorf("%s depends on mailpit, which runs only in the dev profile", name)
			}
		}
		if svc.Build.Dockerfile != "" {
			if _, err := os.Stat(filepath.Join("..", svc.Build.Dockerfile)); err != nil {
				t.Errorf("%s: Dockerfile %v", name, err)
			}
		}
	}
	if p := c.Services["mailpit"].Profiles; len(p) != 1 || p[0] != "dev" {
		t.Errorf("mailpit runs in profiles %v, want only dev", p)
	}
	for _, img := range []struct{ prod, root string }{{"postgres", "postgres"}, {"nats1", "nats"}, {"mailpit", "mailpit"}} {
		if a, b := c.Services[img.prod].Image, root.Services[img.root].Image; a != b {
			t.Errorf("compose.yaml's %s runs %s, docker-compose.yml's %s %s", img.prod, a, img.root, b)
		}
	}

	var natsURLs []string
	for _, name := range []string{"serve", "dispatch"} {
		svc := c.Services[name]
		checkArgs(t, "compose.yaml "+name, svc.Command)
		checkEnv(t, "compose.yaml "+name, slices.Collect(maps.Keys(svc.Environment))...)
		for _, k := range []string{"COMMUNIQUE_DATABASE_URL", "COMMUNIQUE_NATS_URL", "COMMUNIQUE_SMTP_URL", "COMMUNIQUE_FROM", "COMMUNIQUE_SECRET"} {
			if svc.Environment[k] == "" {
				t.Errorf("compose.yaml %s: %s is not set", name, k)
			}
		}
		if r := svc.Environment["COMMUNIQUE_STREAM_REPLICAS"]; r != "3" {
			t.Errorf("compose.yaml %s: COMMUNIQUE_STREAM_REPLICAS %q on a three-node cluster, want 3", name, r)
		}
		if _, err := time.ParseDuration(svc.StopGrace); err != nil || svc.StopSignal != "SIGTERM" {
			t.Errorf("compose.yaml %s: stop with %q within %q", name, svc.StopSignal, svc.StopGrace)
		}
		natsURLs = append(natsURLs, svc.Environment["COMMUNIQUE_NATS_URL"])
	}
	if d := c.Services["dispatch"]; d.ContainerName != "" || len(d.Ports) > 0 {
		t.Errorf("dispatch has a fixed name %q or published ports %v: it could not scale", d.ContainerName, d.Ports)
	}
	if c.Services["serve"].Environment["COMMUNIQUE_HTTP_ADDR"] == "" {
		t.Error("serve listens on the default 127.0.0.1, unreachable from outside its container")
	}
	for _, urls := range natsURLs {
		for _, u := range strings.Split(urls, ",") {
			host := strings.TrimSuffix(strings.TrimPrefix(u, "nats://"), ":4222")
			svc, ok := c.Services[host]
			cmd := strings.Join(svc.Command, " ")
			if !ok || !strings.Contains(cmd, "-js") || !strings.Contains(cmd, "--cluster_name communique") || !strings.Contains(cmd, "--routes") {
				t.Errorf("NATS URL %s is not a node of the JetStream cluster (%q)", u, cmd)
			}
		}
	}
	if m := c.Services["migrate"]; len(m.Command) != 1 || m.Command[0] != "migrate" {
		t.Errorf("migrate runs %v", m.Command)
	}
}
