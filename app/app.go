package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/media"
	"github.com/communique/communique/metrics"
	"github.com/communique/communique/newsroom"
	"github.com/communique/communique/office"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/tracking"
	"github.com/communique/communique/web"
)

// App is the running service. Start it, then Close it; Close undoes
// whatever Start managed to do, in reverse order.
type App struct {
	cfg Config
	log *slog.Logger

	// DB is the pool of the API and the public pages; work is the pool of
	// the dispatcher, relay and scheduler, apart so that neither can
	// starve the other. They are one pool in a process without the API.
	DB         *sqlx.DB
	work       *sqlx.DB
	ns         *server.Server
	nc         *nats.Conn
	js         jetstream.JetStream
	Mailbox    *mailbox.Server // dev only
	relay      *outbox.Relay
	sched      *releases.Scheduler
	disp       *dispatcher.Dispatcher
	bounces    *tracking.Listener
	hooks      *tracking.Webhooks
	httpSrv    *http.Server
	handler    *web.Handler
	office     *office.Handler
	httpLn     net.Listener
	httpErr    chan error
	metricsSrv *http.Server
	metricsLn  net.Listener
	metrics    *metrics.Metrics
	from       *mail.Address
	pools      []*mailer.Pool
	dkim       *mailer.DKIM

	// draining turns /readyz unready once shutdown has begun.
	draining  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// New returns an App for cfg; nothing runs until Start.
func New(cfg Config, log *slog.Logger) *App {
	return &App{cfg: cfg, log: log}
}

// NATSTokenFile is where the embedded NATS server's client token is kept,
// or "" when the service uses a server of its own.
func (a *App) NATSTokenFile() string {
	if a.ns == nil {
		return ""
	}
	return filepath.Join(a.cfg.DataDir, "nats", "token")
}

// WorkDB is the pool of the dispatcher, relay and scheduler.
func (a *App) WorkDB() *sqlx.DB { return a.work }

// Config returns the configuration after Start filled in the defaults.
func (a *App) Config() Config { return a.cfg }

// URL is the base URL of the HTTP server once started.
func (a *App) URL() string { return a.cfg.BaseURL }

// NATSURL is the URL of the NATS server in use, embedded or not.
func (a *App) NATSURL() string { return a.cfg.NATSURL }

// Start brings the service up: database and migrations, NATS and streams,
// then the roles the configuration enables.
func (a *App) Start(ctx context.Context) error {
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	a.metrics = metrics.New()
	if a.cfg.Dev {
		if err := a.devDefaults(); err != nil {
			return err
		}
	}
	db, err := postgres.OpenPool(ctx, a.cfg.DatabaseURL, postgres.Pool{MaxOpen: 24, IdleInTransaction: 10 * time.Minute})
	if err != nil {
		return err
	}
	a.work, a.DB = db, db
	if a.cfg.API {
		// Requests get a statement timeout and give up an idle
		// transaction: a slow client never holds a connection for long.
		if a.DB, err = postgres.OpenPool(ctx, a.cfg.DatabaseURL, postgres.Pool{MaxOpen: 20, StatementTimeout: apiStatementTimeout, IdleInTransaction: time.Minute}); err != nil {
			return err
		}
	}
	if a.cfg.Migrate {
		n, err := postgres.Migrate(ctx, db)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.Info("migrations applied", "count", n, "schema_version", postgres.SchemaVersion())
		}
		if err := taxonomy.Seed(ctx, db); err != nil {
			return err
		}
	} else if err := postgres.CheckVersion(ctx, db); err != nil {
		return err
	}
	if err := a.startNATS(ctx); err != nil {
		return err
	}
	signer := links.NewSigner(a.cfg.Secret)
	if a.cfg.From != "" {
		// An API without SMTP still queues mail, for a dispatcher
		// elsewhere to send: it needs the sender, not the targets.
		if a.from, err = mail.ParseAddress(a.cfg.From); err != nil {
			return fmt.Errorf("COMMUNIQUE_FROM: %w", err)
		}
	}
	if a.cfg.SMTPURL != "" {
		if err := a.startMail(); err != nil {
			return err
		}
	}
	if a.cfg.API {
		// Listen first: links in mail need the bound address when the
		// configuration asks for port 0.
		ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
		}
		a.httpLn = ln
		if a.cfg.BaseURL == "" {
			a.cfg.BaseURL = "http://" + ln.Addr().String()
		}
	}
	if a.cfg.Dispatcher {
		if err := a.startDispatcher(ctx, signer); err != nil {
			return err
		}
	}
	if err := a.startBounces(ctx, signer); err != nil {
		return err
	}
	// Every serving process runs the embargo scheduler: each lift happens
	// once whatever their number, and one survivor is enough.
	a.sched = &releases.Scheduler{Lifecycle: &releases.Lifecycle{DB: a.work, Lifted: a.metrics.Lifted}, Logger: a.log}
	a.sched.Start(ctx)
	if a.cfg.API {
		a.relay = &outbox.Relay{DB: a.work, DSN: a.cfg.DatabaseURL, JS: a.js, Logger: a.log, Published: a.metrics.EventPublished}
		a.relay.Start(ctx)
		a.startHTTP(signer)
	}
	return a.startMetrics()
}

// apiStatementTimeout ends an API request's statement that runs longer;
// imports set their own, longer, limit for their transaction.
const apiStatementTimeout = 30 * time.Second

// startMetrics serves /metrics on a listener of its own when
// COMMUNIQUE_METRICS_ADDR names one other than the HTTP address, so that
// it can stay on an internal network.
func (a *App) startMetrics() error {
	if !a.separateMetrics() {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (COMMUNIQUE_METRICS_ADDR): %w", a.cfg.MetricsAddr, err)
	}
	a.metricsLn = ln
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	if !a.cfg.API {
		// A dispatcher has no other listener: its probes go here.
		h := &web.Handler{Logger: a.log, Ready: a.ready}
		mux.HandleFunc("GET /healthz", h.Healthz)
		mux.HandleFunc("GET /readyz", h.Readyz)
	}
	a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go a.metricsSrv.Serve(ln)
	a.log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

// separateMetrics reports whether /metrics has a listener of its own: it
// has one whenever it is set apart from the API's address, and in a
// process without the API at all.
func (a *App) separateMetrics() bool {
	m := a.cfg.MetricsAddr
	return m != "" && (!a.cfg.API || m != a.cfg.HTTPAddr || strings.HasSuffix(m, ":0"))
}

// MetricsURL is where /metrics is served, once started.
func (a *App) MetricsURL() string {
	if a.metricsLn != nil {
		return "http://" + a.metricsLn.Addr().String() + "/metrics"
	}
	return a.cfg.BaseURL + "/metrics"
}

// devDefaults fills in what `communique dev` needs for a first look.
func (a *App) devDefaults() error {
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	var err error
	if a.cfg.Secret == "" {
		if a.cfg.Secret, err = keptSecret(filepath.Join(a.cfg.DataDir, "secret")); err != nil {
			return err
		}
	}
	if a.cfg.AdminToken == "" {
		if a.cfg.AdminToken, err = keptSecret(filepath.Join(a.cfg.DataDir, "admin-token")); err != nil {
			return err
		}
	}
	if a.cfg.From == "" {
		a.cfg.From = "Media Office <media@example.org>"
	}
	if a.cfg.BounceAddr == "" {
		a.cfg.BounceAddr = "127.0.0.1:0"
	}
	if a.cfg.SMTPURL == "" {
		a.Mailbox = mailbox.New(mailbox.Options{Limit: 5000, Logger: a.log})
		addr, err := a.Mailbox.Start("127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("capture mailbox: %w", err)
		}
		a.cfg.SMTPURL = "smtp://" + addr + "?tls=none&concurrency=4"
	}
	return nil
}

// keptSecret reads a random secret from path, creating it on first use so
// links and tokens stay valid across restarts.
func keptSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 24)
	rand.Read(b)
	s := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep secret: %w", err)
	}
	return s, nil
}

func (a *App) startNATS(ctx context.Context) error {
	// The embedded server has a token of its own and no TLS: the
	// credential and TLS settings are for the servers named in the URL.
	sec := a.cfg.NATSSecurity()
	if a.cfg.NATSURL == "" {
		sec = events.Security{}
		dir := filepath.Join(a.cfg.DataDir, "nats")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		// The embedded server listens on loopback, where any local user
		// could reach it: clients need a token kept in the data directory.
		token, err := keptSecret(filepath.Join(dir, "token"))
		if err != nil {
			return err
		}
		ns, err := events.StartEmbedded(dir, -1, token)
		if err != nil {
			return err
		}
		a.ns = ns
		a.log.Info("embedded NATS started", "url", ns.ClientURL())
		u, err := url.Parse(ns.ClientURL())
		if err != nil {
			return fmt.Errorf("embedded NATS URL: %w", err)
		}
		u.User = url.User(token)
		a.cfg.NATSURL = u.String()
	}
	nc, err := events.ConnectSecure(a.cfg.NATSURL, "communique", sec)
	if err != nil {
		return err
	}
	a.nc = nc
	if a.js, err = jetstream.New(nc); err != nil {
		return fmt.Errorf("JetStream: %w", err)
	}
	replicas, err := a.cfg.Replicas()
	if err != nil {
		return err
	}
	return a.ensureStreams(ctx, events.StreamOptions{Replicas: replicas})
}

// ensureStreams sets the streams up, asking again while JetStream does not
// answer in time: a cluster that is busy or electing a leader is no reason
// for a process joining it to exit.
func (a *App) ensureStreams(ctx context.Context, o events.StreamOptions) error {
	return events.UntilAnswered(ctx, a.log, "the stream setup", func() error {
		return events.EnsureStreamsWith(ctx, a.js, o)
	})
}

// startMail parses the sender and the SMTP targets the dispatcher sends
// through.
func (a *App) startMail() error {
	if a.from == nil {
		return errors.New("COMMUNIQUE_FROM is required to send mail")
	}
	targets, err := mailer.ParseTargets(a.cfg.SMTPURL)
	if err != nil {
		return fmt.Errorf("COMMUNIQUE_SMTP_URL: %w", err)
	}
	domain := a.fromDomain()
	if a.cfg.DKIMKeyFile != "" {
		if a.dkim, err = mailer.LoadDKIM(a.cfg.DKIMKeyFile, a.cfg.DKIMSelector, domain); err != nil {
			return err
		}
		a.log.Info("DKIM signing on", "domain", domain, "selector", a.cfg.DKIMSelector)
	}
	a.pools = make([]*mailer.Pool, len(targets))
	for i, t := range targets {
		a.pools[i] = mailer.NewPool(t, domain)
		a.pools[i].Observe = a.metrics.SMTPSent
	}
	return nil
}

// fromDomain is the domain of COMMUNIQUE_FROM's address, or "" without
// one: the mail's HELO and DKIM domain, and the bounces' by default.
func (a *App) fromDomain() string {
	if a.from == nil {
		return ""
	}
	return a.from.Address[strings.LastIndex(a.from.Address, "@")+1:]
}

func (a *App) startDispatcher(ctx context.Context, signer *links.Signer) error {
	a.disp = dispatcher.New(dispatcher.Config{
		DB: a.work, JS: a.js, Logger: a.log, Pools: a.pools, Signer: signer,
		FromName: a.from.Name, FromEmail: a.from.Address,
		BounceDomain: a.cfg.BounceDomain, BaseURL: a.cfg.PublicBaseURL(), DSN: a.cfg.DatabaseURL,
		Lease: a.cfg.Lease, RetryBase: a.cfg.RetryBase, MaxAge: a.cfg.RetryMaxAge, DKIM: a.dkim,
		Metrics: a.metrics,
	})
	return a.disp.Start(ctx)
}

// startBounces prepares the providers' webhooks and runs the inbound SMTP
// listener for bounces, complaints and unsubscribe mail, in the process
// that serves the API: one listener per deployment, like its address.
func (a *App) startBounces(ctx context.Context, signer *links.Signer) error {
	if !a.cfg.API {
		return nil
	}
	domain := a.cfg.BounceDomain
	if domain == "" {
		domain = a.fromDomain()
	}
	limit, _ := a.cfg.SoftBounces() // Validate refused a bad one
	rec := &tracking.Recorder{DB: a.work, SoftBounceLimit: limit}
	wc := a.cfg.webhookConfig()
	wc.Recorder, wc.Matcher, wc.Logger = rec, tracking.Matcher{Domain: domain, Signer: signer}, a.log
	var err error
	if a.hooks, err = tracking.NewWebhooks(wc); err != nil {
		return err
	}
	if a.cfg.BounceAddr == "" {
		return nil
	}
	if domain == "" {
		return errors.New("COMMUNIQUE_BOUNCE_ADDR needs COMMUNIQUE_BOUNCE_DOMAIN or COMMUNIQUE_FROM")
	}
	a.bounces = tracking.NewListener(tracking.ListenerConfig{Addr: a.cfg.BounceAddr, Domain: domain, Signer: signer,
		Recorder: rec, Logger: a.log})
	return a.bounces.Start(ctx)
}

// BounceAddr is where the bounce listener listens, or "" when it is off.
func (a *App) BounceAddr() string {
	if a.bounces == nil {
		return ""
	}
	return a.bounces.Addr()
}

func (a *App) startHTTP(signer *links.Signer) {
	h := &web.Handler{DB: a.DB, Logger: a.log, Signer: signer, AdminToken: a.cfg.AdminToken, Ready: a.ready,
		BaseURL: a.cfg.BaseURL, Metrics: a.metrics, MetricsElsewhere: a.separateMetrics(), ClearanceRequired: a.cfg.ClearanceRequired()}
	h.TrustedProxies, _ = web.ParseProxies(a.cfg.TrustedProxies) // Validate refused a bad list
	// One library of media for the API, the office and the newsroom, so
	// that uploads share one bound on the photos decoded at once.
	h.Media = media.New(a.DB, nil, a.log)
	a.handler = h
	if a.from != nil {
		h.FromName, h.FromEmail = a.from.Name, a.from.Address
	}
	if a.Mailbox != nil {
		h.Dev = a.Mailbox.Handler()
	}
	// The press office's pages sit beside the API and the public pages.
	oc := office.Config{DB: a.DB, Logger: a.log, BaseURL: a.cfg.BaseURL, ClientIP: h.ClientIP, ClearanceRequired: a.cfg.ClearanceRequired()}
	oc.FromName, oc.FromEmail = h.FromName, h.FromEmail
	oc.Media = h.Media
	a.office = office.New(oc)
	mux := http.NewServeMux()
	mux.Handle("/office/", a.office)
	// The public newsroom owns "/", its releases, feeds and sitemap.
	nc := newsroom.Config{DB: a.DB, Logger: a.log, BaseURL: a.cfg.PublicBaseURL(), Signer: signer, Media: h.Media}
	if a.from != nil {
		nc.Organisation = a.from.Name
	}
	nr := newsroom.New(nc)
	for _, pattern := range newsroom.Patterns() {
		mux.Handle(pattern, nr)
	}
	// Providers report bounces and complaints here; each request is
	// verified by the provider's own signature or credentials.
	mux.Handle("POST /webhooks/{provider}", a.hooks)
	mux.Handle("/", h.Routes())
	a.httpSrv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // CSV imports can be large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	// Live delivery views never go idle: they end when shutdown begins.
	a.httpSrv.RegisterOnShutdown(a.office.EndStreams)
	a.httpErr = make(chan error, 1)
	go func() { a.httpErr <- a.httpSrv.Serve(a.httpLn) }()
	a.log.Info("HTTP server listening", "url", a.cfg.BaseURL)
}

func (a *App) ready(ctx context.Context) error {
	if a.draining.Load() {
		return errShuttingDown
	}
	if err := a.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if a.nc == nil || !a.nc.IsConnected() {
		return errors.New("NATS: not connected")
	}
	return nil
}

var errShuttingDown = errors.New("shutting down")

// httpShutdownTimeout bounds the wait for requests in flight once the
// server stops accepting; those still running after it are cut.
const httpShutdownTimeout = 10 * time.Second

// Close shuts down in order: turn /readyz unready and keep serving for
// COMMUNIQUE_SHUTDOWN_DELAY, stop accepting HTTP and finish the requests
// in flight (live views end), let the dispatcher finish or hand back its
// batches, stop the relay, then close NATS, the capture mailbox and the
// database. Safe to call after a failed Start, and more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.close() })
	return a.closeErr
}

func (a *App) close() error {
	var errs []error
	a.draining.Store(true)
	if a.httpSrv != nil {
		// Load balancers take a probe or two to see /readyz fail; until
		// then requests still come, and are served. Responses meanwhile
		// close their connections, so keep-alive clients reconnect
		// through the balancer to a server that stays.
		if delay, _ := a.cfg.ShutdownDelayDuration(); delay > 0 { // Validate refused a bad one
			a.httpSrv.SetKeepAlivesEnabled(false)
			a.log.Info("shutting down: not ready, serving requests still", "delay", delay.String())
			time.Sleep(delay)
		}
		ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
		if err := a.httpSrv.Shutdown(ctx); err != nil {
			// Requests still running would outlive the database.
			a.httpSrv.Close()
			errs = append(errs, fmt.Errorf("HTTP shutdown: %w", err))
		}
		cancel()
		// The mails that requests queued go before the database closes.
		a.handler.Close()
		a.office.Close()
	} else if a.httpLn != nil {
		a.httpLn.Close()
	}
	if a.metricsSrv != nil {
		a.metricsSrv.Close()
	}
	if a.bounces != nil {
		errs = append(errs, a.bounces.Close())
	}
	if a.sched != nil {
		a.sched.Stop()
	}
	if a.disp != nil {
		a.disp.Stop()
	}
	if a.relay != nil {
		a.relay.Stop()
	}
	if a.nc != nil {
		a.nc.Drain()
		a.nc.Close()
	}
	if a.ns != nil {
		a.ns.Shutdown()
		a.ns.WaitForShutdown()
	}
	if a.Mailbox != nil {
		errs = append(errs, a.Mailbox.Close())
	}
	if a.DB != nil && a.DB != a.work {
		errs = append(errs, a.DB.Close())
	}
	if a.work != nil {
		errs = append(errs, a.work.Close())
	}
	return errors.Join(errs...)
}
