// Package app assembles the service from its parts: configuration, the
// database, NATS, the SMTP pools, the HTTP server, the outbox relay and
// the dispatcher, started in order and shut down in reverse.
package app

import (
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique/events"
	"github.com/communique/communique/tracking"
	"github.com/communique/communique/web"
)

// Config is the service's configuration; every field comes from a flag
// whose default is read from the environment (SPEC section 5).
type Config struct {
	DatabaseURL string
	NATSURL     string
	// NATSCreds is a NATS creds file or NKey seed file; NATSCAFile,
	// NATSCertFile and NATSKeyFile set up TLS to NATS.
	NATSCreds    string
	NATSCAFile   string
	NATSCertFile string
	NATSKeyFile  string
	// StreamReplicas is the JetStream replicas of the streams: 1 to 5.
	StreamReplicas string
	SMTPURL        string
	From           string
	BounceDomain   string
	DKIMKeyFile    string
	DKIMSelector   string
	HTTPAddr       string
	BaseURL        string
	Secret         string
	AdminToken     string
	DataDir        string
	MetricsAddr    string
	// Clearance is "required" (a release needs clearing by someone
	// other than its author before it is published) or "off"; empty
	// means required, except in dev.
	Clearance string
	// TrustedProxies are the CIDRs of the reverse proxies whose
	// X-Forwarded-For names the client, comma-separated.
	TrustedProxies string
	// BounceAddr is where the inbound SMTP listener for bounces,
	// complaints and unsubscribe mail listens; empty turns it off.
	BounceAddr string
	// SoftBounceLimit is the number of soft bounces within 30 days, none
	// delivered between, that suppress an address.
	SoftBounceLimit string
	// The providers' webhooks, each off while its settings are empty.
	SESTopicARN       string
	MailgunSigningKey string
	SendGridPublicKey string
	PostmarkUser      string
	PostmarkPassword  string
	// ShutdownDelay is how long a stopping server stays up answering
	// /readyz with 503 before it stops accepting requests, so that load
	// balancers send the next ones elsewhere; empty means none.
	ShutdownDelay string

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
	// Secret settings never show their value in usage text: a key shows
	// "(set)", a URL its address with the password hidden.
	Secret secrecy
}

type secrecy int

const (
	public secrecy = iota
	secretKey
	secretURL
)

// Settings lists every environment variable the binary reads.
func Settings() []Setting {
	return []Setting{
		{"COMMUNIQUE_DATABASE_URL", "database-url", "postgres://postgres@127.0.0.1:5432/communique?sslmode=disable", "PostgreSQL URL (the database is created if missing)", func(c *Config) *string { return &c.DatabaseURL }, secretURL},
		{"COMMUNIQUE_NATS_URL", "nats-url", "", "NATS server URLs, comma-separated; empty runs an embedded server under the data directory", func(c *Config) *string { return &c.NATSURL }, secretURL},
		{"COMMUNIQUE_NATS_CREDS", "nats-creds", "", "NATS credentials: a creds file (user JWT and seed) or an NKey user seed file", func(c *Config) *string { return &c.NATSCreds }, public},
		{"COMMUNIQUE_NATS_CA_FILE", "nats-ca-file", "", "PEM CA certificates that sign the NATS servers' TLS certificates (turns TLS on)", func(c *Config) *string { return &c.NATSCAFile }, public},
		{"COMMUNIQUE_NATS_CERT_FILE", "nats-cert-file", "", "PEM client certificate for NATS servers that verify clients", func(c *Config) *string { return &c.NATSCertFile }, public},
		{"COMMUNIQUE_NATS_KEY_FILE", "nats-key-file", "", "PEM private key of the NATS client certificate", func(c *Config) *string { return &c.NATSKeyFile }, public},
		{"COMMUNIQUE_STREAM_REPLICAS", "stream-replicas", "1", "JetStream replicas of the product's streams: 1 on one server, 3 on a cluster", func(c *Config) *string { return &c.StreamReplicas }, public},
		{"COMMUNIQUE_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:port?tls=none|starttls|tls&concurrency=N&rate=R, comma-separated", func(c *Config) *string { return &c.SMTPURL }, secretURL},
		{"COMMUNIQUE_FROM", "from", "", "sender, e.g. 'Media Office <media@example.org>'", func(c *Config) *string { return &c.From }, public},
		{"COMMUNIQUE_BOUNCE_DOMAIN", "bounce-domain", "", "domain of the per-delivery return path (default: the From domain)", func(c *Config) *string { return &c.BounceDomain }, public},
		{"COMMUNIQUE_DKIM_KEY_FILE", "dkim-key-file", "", "PEM private key (RSA or Ed25519) for DKIM signing", func(c *Config) *string { return &c.DKIMKeyFile }, public},
		{"COMMUNIQUE_DKIM_SELECTOR", "dkim-selector", "", "DKIM selector", func(c *Config) *string { return &c.DKIMSelector }, public},
		{"COMMUNIQUE_HTTP_ADDR", "http-addr", "127.0.0.1:8080", "HTTP listen address", func(c *Config) *string { return &c.HTTPAddr }, public},
		{"COMMUNIQUE_BASE_URL", "base-url", "", "public URL used in links (default: http:// + the HTTP address)", func(c *Config) *string { return &c.BaseURL }, public},
		{"COMMUNIQUE_SECRET", "secret", "", "key for signed links and tokens, at least 32 bytes (openssl rand -base64 32)", func(c *Config) *string { return &c.Secret }, secretKey},
		{"COMMUNIQUE_ADMIN_TOKEN", "admin-token", "", "bootstrap API token for an administrator, at least 32 characters (openssl rand -base64 32)", func(c *Config) *string { return &c.AdminToken }, secretKey},
		{"COMMUNIQUE_DATA_DIR", "data-dir", "./data", "local state of embedded parts", func(c *Config) *string { return &c.DataDir }, public},
		{"COMMUNIQUE_CLEARANCE", "clearance", "", "required or off: must someone other than its author clear a release before it is published (default: required, off in dev)", func(c *Config) *string { return &c.Clearance }, public},
		{"COMMUNIQUE_METRICS_ADDR", "metrics-addr", "", "listen address of /metrics (default: the HTTP address)", func(c *Config) *string { return &c.MetricsAddr }, public},
		{"COMMUNIQUE_BOUNCE_ADDR", "bounce-addr", "", "listen address of the inbound SMTP listener for bounces, complaints and mailto unsubscribes, e.g. 0.0.0.0:2525 (default: off; dev picks a free local port)", func(c *Config) *string { return &c.BounceAddr }, public},
		{"COMMUNIQUE_SOFT_BOUNCE_LIMIT", "soft-bounce-limit", "5", "soft bounces within 30 days, none delivered between, that suppress an address", func(c *Config) *string { return &c.SoftBounceLimit }, public},
		{"COMMUNIQUE_SES_TOPIC_ARN", "ses-topic-arn", "", "SNS topic ARNs (comma-separated) whose SES notifications POST /webhooks/ses believes", func(c *Config) *string { return &c.SESTopicARN }, public},
		{"COMMUNIQUE_MAILGUN_SIGNING_KEY", "mailgun-signing-key", "", "Mailgun's webhook signing key, for POST /webhooks/mailgun", func(c *Config) *string { return &c.MailgunSigningKey }, secretKey},
		{"COMMUNIQUE_SENDGRID_PUBLIC_KEY", "sendgrid-public-key", "", "SendGrid's event webhook verification key (base64), for POST /webhooks/sendgrid", func(c *Config) *string { return &c.SendGridPublicKey }, public},
		{"COMMUNIQUE_POSTMARK_USER", "postmark-user", "", "basic-auth user of Postmark's webhook URL, for POST /webhooks/postmark", func(c *Config) *string { return &c.PostmarkUser }, public},
		{"COMMUNIQUE_POSTMARK_PASSWORD", "postmark-password", "", "basic-auth password of Postmark's webhook URL", func(c *Config) *string { return &c.PostmarkPassword }, secretKey},
		{"COMMUNIQUE_TRUSTED_PROXIES", "trusted-proxies", "", "CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated)", func(c *Config) *string { return &c.TrustedProxies }, public},
		{"COMMUNIQUE_SHUTDOWN_DELAY", "shutdown-delay", "5s", "on SIGTERM, how long /readyz answers 503 while requests are still served, before the HTTP server stops accepting them (dev: 0)", func(c *Config) *string { return &c.ShutdownDelay }, public},
	}
}

// RegisterFlags adds a flag per setting to fs, defaulting to the
// environment's value.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, s := range Settings() {
		p := s.field(c)
		*p = s.Default
		if v, ok := os.LookupEnv(s.Env); ok {
			*p = v
		}
		fs.Var(&settingValue{p: p, secrecy: s.Secret}, s.Flag, fmt.Sprintf("%s (%s)", s.Usage, s.Env))
	}
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.Lease, "lease", 2*time.Minute, "dispatcher: how long a worker holds the deliveries it is sending; a dead worker's are taken over after it")
	fs.DurationVar(&c.RetryBase, "retry-base", 30*time.Second, "dispatcher: first retry delay of a deferred delivery, doubling each attempt")
	fs.DurationVar(&c.RetryMaxAge, "retry-max-age", 24*time.Hour, "dispatcher: a delivery still deferred after this long fails")
}

// settingValue is a string flag whose String, which usage text and flag
// errors print, never shows a secret.
type settingValue struct {
	p       *string
	secrecy secrecy
}

func (v *settingValue) Set(s string) error { *v.p = s; return nil }

func (v *settingValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return redact(*v.p, v.secrecy)
}

// RedactURL returns URLs (comma-separated) as they may be shown: without
// their passwords or tokens.
func RedactURL(urls string) string { return redact(urls, secretURL) }

// redact returns a setting's value as it may be shown: keys as "(set)",
// URLs without their passwords or tokens.
func redact(value string, s secrecy) string {
	switch {
	case value == "" || s == public:
		return value
	case s == secretKey:
		return "(set)"
	}
	parts := strings.Split(value, ",")
	for i, part := range parts {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil {
			// An unparsable URL may still hold a password: show nothing of it.
			parts[i] = "(set)"
			continue
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "(set)")
			} else if u.Scheme == "nats" || u.Scheme == "tls" {
				u.User = url.User("(set)") // a NATS token
			}
		}
		q := u.Query()
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "pass") || strings.Contains(lk, "token") || strings.Contains(lk, "secret") {
				q.Set(k, "(set)")
			}
		}
		u.RawQuery = q.Encode()
		parts[i] = strings.Replace(u.String(), "%28set%29", "(set)", -1)
	}
	return strings.Join(parts, ",")
}

// minSecret is the least length of the secret and the admin token: 32
// bytes, what a random key of 256 bits is worth.
const minSecret = 32

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
	if !c.Dev && (c.API || c.Dispatcher) {
		switch {
		case c.Secret == "":
			errs = append(errs, "COMMUNIQUE_SECRET (-secret) is required: make one with 'openssl rand -base64 32'")
		case len(c.Secret) < minSecret:
			errs = append(errs, fmt.Sprintf("COMMUNIQUE_SECRET (-secret) is %d bytes long; it must be at least %d: make one with 'openssl rand -base64 32'", len(c.Secret), minSecret))
		}
		if c.AdminToken != "" && len(c.AdminToken) < minSecret {
			errs = append(errs, fmt.Sprintf("COMMUNIQUE_ADMIN_TOKEN (-admin-token) is %d characters long; it must be at least %d: make one with 'openssl rand -base64 32'", len(c.AdminToken), minSecret))
		}
	}
	if c.Clearance != "" && c.Clearance != "required" && c.Clearance != "off" {
		errs = append(errs, fmt.Sprintf("COMMUNIQUE_CLEARANCE %q: want required or off", c.Clearance))
	}
	if (c.DKIMKeyFile == "") != (c.DKIMSelector == "") {
		errs = append(errs, "COMMUNIQUE_DKIM_KEY_FILE and COMMUNIQUE_DKIM_SELECTOR go together: set both to sign, neither not to")
	}
	if _, err := c.Replicas(); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := c.ShutdownDelayDuration(); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, c.natsFileErrors()...)
	if _, err := c.SoftBounces(); err != nil {
		errs = append(errs, err.Error())
	}
	if (c.PostmarkUser == "") != (c.PostmarkPassword == "") {
		errs = append(errs, "COMMUNIQUE_POSTMARK_USER and COMMUNIQUE_POSTMARK_PASSWORD go together: set both or neither")
	}
	if _, err := tracking.NewWebhooks(c.webhookConfig()); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := web.ParseProxies(c.TrustedProxies); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

// PublicBaseURL is the URL messages and links lead to, without a
// trailing slash: BaseURL, or where the HTTP server would listen, for a
// process (a dispatcher, a command) that runs without one.
func (c *Config) PublicBaseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return "http://" + c.HTTPAddr
}

// ClearanceRequired reports whether a release must be cleared before it
// is published: required unless set off, and off in dev unless set.
func (c *Config) ClearanceRequired() bool {
	switch c.Clearance {
	case "off":
		return false
	case "required":
		return true
	}
	return !c.Dev
}

// SoftBounces is COMMUNIQUE_SOFT_BOUNCE_LIMIT as a number: 5 when unset.
func (c *Config) SoftBounces() (int, error) {
	if c.SoftBounceLimit == "" {
		return 5, nil
	}
	n, err := strconv.Atoi(c.SoftBounceLimit)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("COMMUNIQUE_SOFT_BOUNCE_LIMIT %q: want a whole number of at least 1", c.SoftBounceLimit)
	}
	return n, nil
}

// webhookConfig is the providers' webhook settings.
func (c *Config) webhookConfig() tracking.WebhookConfig {
	wc := tracking.WebhookConfig{MailgunSigningKey: c.MailgunSigningKey, SendGridPublicKey: c.SendGridPublicKey,
		PostmarkUser: c.PostmarkUser, PostmarkPassword: c.PostmarkPassword}
	for _, arn := range strings.Split(c.SESTopicARN, ",") {
		if arn = strings.TrimSpace(arn); arn != "" {
			wc.SESTopicARNs = append(wc.SESTopicARNs, arn)
		}
	}
	return wc
}

// Replicas is COMMUNIQUE_STREAM_REPLICAS as a number: 1 when unset.
func (c *Config) Replicas() (int, error) {
	if c.StreamReplicas == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(c.StreamReplicas)
	// JetStream keeps at most five copies of a stream.
	if err != nil || n < 1 || n > 5 {
		return 0, fmt.Errorf("COMMUNIQUE_STREAM_REPLICAS %q: want a whole number from 1 to 5 (3 on a three-node cluster)", c.StreamReplicas)
	}
	return n, nil
}

// maxShutdownDelay keeps a typo ("5m" for "5s") from holding every
// restart for minutes: no load balancer needs longer to notice.
const maxShutdownDelay = time.Minute

// ShutdownDelayDuration is COMMUNIQUE_SHUTDOWN_DELAY as a duration: none
// when unset.
func (c *Config) ShutdownDelayDuration() (time.Duration, error) {
	if c.ShutdownDelay == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.ShutdownDelay)
	if err != nil || d < 0 || d > maxShutdownDelay {
		return 0, fmt.Errorf("COMMUNIQUE_SHUTDOWN_DELAY %q: want a duration from 0s to %v, e.g. 5s", c.ShutdownDelay, maxShutdownDelay)
	}
	return d, nil
}

// NATSSecurity is the NATS credentials and TLS files.
func (c *Config) NATSSecurity() events.Security {
	return events.Security{CredsFile: c.NATSCreds, CAFile: c.NATSCAFile, CertFile: c.NATSCertFile, KeyFile: c.NATSKeyFile}
}

// natsFileErrors checks that the NATS credential and TLS files can be
// read, so a wrong path is reported at start-up by its setting's name;
// their contents are never shown.
func (c *Config) natsFileErrors() []string {
	var errs []string
	for _, f := range []struct{ env, path string }{
		{"COMMUNIQUE_NATS_CREDS", c.NATSCreds},
		{"COMMUNIQUE_NATS_CA_FILE", c.NATSCAFile},
		{"COMMUNIQUE_NATS_CERT_FILE", c.NATSCertFile},
		{"COMMUNIQUE_NATS_KEY_FILE", c.NATSKeyFile},
	} {
		if f.path == "" {
			continue
		}
		if fh, err := os.Open(f.path); err != nil {
			errs = append(errs, fmt.Sprintf("%s %q: %v", f.env, f.path, errors.Unwrap(err)))
		} else {
			fh.Close()
		}
	}
	if (c.NATSCertFile == "") != (c.NATSKeyFile == "") {
		errs = append(errs, "COMMUNIQUE_NATS_CERT_FILE and COMMUNIQUE_NATS_KEY_FILE go together: set both or neither")
	}
	return errs
}
