package tracking

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// WebhookConfig configures the providers' webhooks. A provider whose
// settings are empty is off, and its URL answers 404.
type WebhookConfig struct {
	Recorder *Recorder
	Matcher  Matcher
	Logger   *slog.Logger

	SESTopicARNs      []string // SNS topics whose notifications are believed
	MailgunSigningKey string   // Mailgun's webhook signing key
	SendGridPublicKey string   // SendGrid's verification key, base64 DER
	PostmarkUser      string   // the basic-auth user and password set in
	PostmarkPassword  string   // Postmark's webhook URL

	// FetchCert fetches an SNS signing certificate and Confirm visits a
	// subscription's SubscribeURL, both only for SNS hosts over HTTPS;
	// tests replace them. Now is the clock of the freshness checks.
	FetchCert func(ctx context.Context, url string) ([]byte, error)
	Confirm   func(ctx context.Context, url string) error
	Now       func() time.Time
}

// freshness is how old (or how far ahead) a signed timestamp may be.
const freshness = 10 * time.Minute

// maxWebhookBody caps a webhook request: providers batch events, but
// never this many.
const maxWebhookBody = 1 << 20

// Webhooks receives the providers' events at POST /webhooks/{provider}.
// Nothing in a request is believed before its signature or credentials
// check out; every authentic event is answered 2xx, even one that is
// ignored or already recorded, or the provider would send it again.
type Webhooks struct {
	cfg      WebhookConfig
	sendgrid *ecdsa.PublicKey
	seen     *replayCache

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

// NewWebhooks checks cfg's keys and returns the webhooks' handler.
func NewWebhooks(cfg WebhookConfig) (*Webhooks, error) {
	w := &Webhooks{cfg: cfg, seen: newReplayCache(2 * freshness), certs: map[string]*x509.Certificate{}}
	if w.cfg.Logger == nil {
		w.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if w.cfg.Now == nil {
		w.cfg.Now = time.Now
	}
	if w.cfg.FetchCert == nil {
		w.cfg.FetchCert = httpGet
	}
	if w.cfg.Confirm == nil {
		w.cfg.Confirm = func(ctx context.Context, url string) error { _, err := httpGet(ctx, url); return err }
	}
	if cfg.SendGridPublicKey != "" {
		der, err := base64.StdEncoding.DecodeString(cfg.SendGridPublicKey)
		if err != nil {
			return nil, fmt.Errorf("COMMUNIQUE_SENDGRID_PUBLIC_KEY: not base64: %w", err)
		}
		key, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("COMMUNIQUE_SENDGRID_PUBLIC_KEY: %w", err)
		}
		ec, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return nil, errors.New("COMMUNIQUE_SENDGRID_PUBLIC_KEY: not an ECDSA key")
		}
		w.sendgrid = ec
	}
	return w, nil
}

// errForged is a request whose signature or credentials do not check out.
var errForged = errors.New("signature or credentials do not check out")

// errMalformed is a verified request whose content we cannot read.
var errMalformed = errors.New("malformed event")

func (w *Webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	var verify func(*http.Request, []byte) ([]Event, error)
	switch {
	case provider == "ses" && len(w.cfg.SESTopicARNs) > 0:
		verify = w.ses
	case provider == "mailgun" && w.cfg.MailgunSigningKey != "":
		verify = w.mailgun
	case provider == "sendgrid" && w.sendgrid != nil:
		verify = w.sendGrid
	case provider == "postmark" && w.cfg.PostmarkUser != "":
		verify = w.postmark
	default:
		http.Error(rw, "no such webhook", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	events, err := verify(r, body)
	switch {
	case errors.Is(err, errForged):
		w.cfg.Logger.Warn("webhook refused", "provider", provider, "error", err)
		http.Error(rw, "forbidden", http.StatusForbidden)
		return
	case errors.Is(err, errMalformed):
		w.cfg.Logger.Warn("webhook event unreadable", "provider", provider, "error", err)
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		w.cfg.Logger.Error("webhook", "provider", provider, "error", err)
		http.Error(rw, "try again later", http.StatusServiceUnavailable)
		return
	}
	for _, ev := range events {
		ev.Source = provider
		rec, dup, err := w.cfg.Recorder.RecordEvent(r.Context(), w.cfg.Matcher, ev)
		if err != nil {
			// The provider retries, and the events already recorded are
			// recognised by their ids.
			w.cfg.Logger.Error("webhook: record", "provider", provider, "event_id", ev.EventID, "error", err)
			http.Error(rw, "try again later", http.StatusServiceUnavailable)
			return
		}
		if !dup {
			w.cfg.Logger.Info("webhook event", "provider", provider, "inbound_id", rec.ID, "kind", rec.Result.Kind,
				"reason", rec.Result.Reason, "delivery_id", rec.DeliveryID, "effect", rec.Effect)
		}
	}
	rw.WriteHeader(http.StatusNoContent)
}

// httpGet fetches a small document over HTTPS.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
}

// replayCache remembers signed tokens for as long as they are fresh, so a
// captured request cannot be played again.
type replayCache struct {
	ttl  time.Duration
	mu   sync.Mutex
	seen map[string]time.Time
}

func newReplayCache(ttl time.Duration) *replayCache {
	return &replayCache{ttl: ttl, seen: map[string]time.Time{}}
}

// first reports whether token is seen for the first time, and remembers it.
func (c *replayCache) first(token string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) > 10000 {
		for k, at := range c.seen {
			if now.Sub(at) > c.ttl {
				delete(c.seen, k)
			}
		}
	}
	if at, ok := c.seen[token]; ok && now.Sub(at) <= c.ttl {
		return false
	}
	c.seen[token] = now
	return true
}
