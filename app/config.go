// Package app assembles the service from its parts: configuration, the
// database, NATS, the SMTP pools, the HTTP server, the outbox relay and
// the dispatcher, started in order and shut down in reverse.
package app

import (
	"flag"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is the service's configuration; every field comes from a flag
// whose default is read from the environment (SPEC section 5).
type Config struct {
	DatabaseURL  string
	NATSURL      string
	SMTPURL      string
	From         string
	BounceDomain string
	DKIMKeyFile  string
	DKIMSelector string
	HTTPAddr     string
	BaseURL      string
	Secret       string
	AdminToken   string
	DataDir      string

	// Roles, so parts can run apart.
	API        bool // HTTP API, public pages and the outbox relay
	Dispatcher bool // the dispatcher workers
	Dev        bool // capture mailbox, generated secrets, demo data
	Migrate    bool // apply migrations at start

	LogLevel string

	// Dispatcher tuning, flags only.
	Lease       time.Duration // how long a worker holds deliveries it is sending
	RetryBase   time.Duration // first retry delay of a deferred delivery
	RetryMaxAge time.Duration // after this, a deferred delivery fails
}

// Setting is one configuration variable with its flag.
type Setting struct {
	Env, Flag, Default, Usage string
	field                     func(*Config) *string
}

// Settings lists every environment variable the binary reads.
func Settings() []Setting {
	return []Setting{
		{"COMMUNIQUE_DATABASE_URL", "database-url", "postgres://postgres@127.0.0.1:5432/communique?sslmode=disable", "PostgreSQL URL (the database is created if missing)", func(c *Config) *string { return &c.DatabaseURL }},
		{"COMMUNIQUE_NATS_URL", "nats-url", "", "NATS server URLs, comma-separated; empty runs an embedded server under the data directory", func(c *Config) *string { return &c.NATSURL }},
		{"COMMUNIQUE_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:port?tls=none|starttls|tls&concurrency=N&rate=R, comma-separated", func(c *Config) *string { return &c.SMTPURL }},
		{"COMMUNIQUE_FROM", "from", "", "sender, e.g. 'Media Office <media@example.org>'", func(c *Config) *string { return &c.From }},
		{"COMMUNIQUE_BOUNCE_DOMAIN", "bounce-domain", "", "domain of the per-delivery return path (default: the From domain)", func(c *Config) *string { return &c.BounceDomain }},
		{"COMMUNIQUE_DKIM_KEY_FILE", "dkim-key-file", "", "PEM private key (RSA or Ed25519) for DKIM signing", func(c *Config) *string { return &c.DKIMKeyFile }},
		{"COMMUNIQUE_DKIM_SELECTOR", "dkim-selector", "", "DKIM selector", func(c *Config) *string { return &c.DKIMSelector }},
		{"COMMUNIQUE_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "HTTP listen address", func(c *Config) *string { return &c.HTTPAddr }},
		{"COMMUNIQUE_BASE_URL", "base-url", "", "public URL used in links (default: http:// + the HTTP address)", func(c *Config) *string { return &c.BaseURL }},
		{"COMMUNIQUE_SECRET", "secret", "", "key for signed links and tokens", func(c *Config) *string { return &c.Secret }},
		{"COMMUNIQUE_ADMIN_TOKEN", "admin-token", "", "bootstrap API token for an administrator", func(c *Config) *string { return &c.AdminToken }},
		{"COMMUNIQUE_DATA_DIR", "data-dir", "./data", "local state of embedded parts", func(c *Config) *string { return &c.DataDir }},
	}
}

// RegisterFlags adds a flag per setting to fs, defaulting to the
// environment's value.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, s := range Settings() {
		def := s.Default
		if v, ok := os.LookupEnv(s.Env); ok {
			def = v
		}
		fs.StringVar(s.field(c), s.Flag, def, fmt.Sprintf("%s (%s)", s.Usage, s.Env))
	}
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.Lease, "lease", 2*time.Minute, "dispatcher: how long a worker holds the deliveries it is sending; a dead worker's are taken over after it")
	fs.DurationVar(&c.RetryBase, "retry-base", 30*time.Second, "dispatcher: first retry delay of a deferred delivery, doubling each attempt")
	fs.DurationVar(&c.RetryMaxAge, "retry-max-age", 24*time.Hour, "dispatcher: a delivery still deferred after this long fails")
}

// Validate checks the configuration for the roles it enables.
func (c *Config) Validate() error {
	var errs []string
	if c.Dispatcher && !c.Dev {
		if c.SMTPURL == "" {
			errs = append(errs, "COMMUNIQUE_SMTP_URL (-smtp-url) is required")
		}
		if c.From == "" {
			errs = append(errs, "COMMUNIQUE_FROM (-from) is required")
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("COMMUNIQUE_BASE_URL %q: want an http or https URL", c.BaseURL))
		}
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			errs = append(errs, fmt.Sprintf("COMMUNIQUE_FROM %q: %v", c.From, err))
		}
	}
	if !c.Dev && c.Secret == "" && (c.API || c.Dispatcher) {
		errs = append(errs, "COMMUNIQUE_SECRET (-secret) is required")
	}
	if (c.DKIMKeyFile == "") != (c.DKIMSelector == "") {
		errs = append(errs, "COMMUNIQUE_DKIM_KEY_FILE and COMMUNIQUE_DKIM_SELECTOR go together: set both to sign, neither not to")
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}
