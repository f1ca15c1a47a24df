// Docker cannot run where the tests run, so this checks what can be
// checked without it: that docker-compose.yml parses, names the services
// the product needs, and configures communique only with settings the
// binary reads, pointing each at the service that provides it.
package deploy_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/communique/communique/app"
	"github.com/communique/communique/mailer"
)

type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Build       struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		DependsOn map[string]any `yaml:"depends_on"`
	} `yaml:"services"`
}

func TestComposeMatchesConfiguration(t *testing.T) {
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
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

	known := map[string]bool{}
	for _, s := range app.Settings() {
		known[s.Env] = true
	}
	env := svc.Environment
	for k := range env {
		if strings.HasPrefix(k, "COMMUNIQUE_") && !known[k] {
			t.Errorf("%s is set but the binary does not read it", k)
		}
	}
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
