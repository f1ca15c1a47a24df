package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/links"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

const testToken = "test-admin-token"

// bundle is what a web test needs: the service's routes on a test server
// over a database of its own, and the mail it sent.
type bundle struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlx.DB
	h      *Handler
	srv    *httptest.Server
	signer *links.Signer

	mu   sync.Mutex
	sent []*mailer.Message
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"migration-governance", "climate-mobility"} {
		if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: slug, Names: taxonomy.Names{"en": slug}}); err != nil {
			t.Fatal(err)
		}
	}
	b := &bundle{t: t, ctx: ctx, db: db, signer: links.NewSigner("test secret")}
	b.h = &Handler{DB: db, Logger: slog.New(slog.DiscardHandler), Signer: b.signer, AdminToken: testToken,
		FromName: "Media Office", FromEmail: "media@example.org"}
	b.h.SendMail = func(ctx context.Context, m *mailer.Message) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.sent = append(b.sent, m)
		return nil
	}
	b.srv = httptest.NewServer(b.h.Routes())
	b.h.BaseURL = b.srv.URL
	t.Cleanup(b.srv.Close)
	return b
}

// api sends an authenticated JSON request and decodes the answer into out
// (when not nil), returning the status.
func (b *bundle) api(method, path, body string, out any) int {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			b.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// browser returns a client that keeps cookies, like a browser, and does
// not follow redirects, so tests see them.
func (b *bundle) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// mails returns the messages sent so far, once the public pages' work
// queued after answering is done.
func (b *bundle) mails() []*mailer.Message {
	b.settle()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*mailer.Message(nil), b.sent...)
}

var confirmLink = regexp.MustCompile(`https?://\S+/confirm/[A-Za-z0-9_-]+\?lang=[a-z]+`)

// lastConfirmURL is the confirmation link of the last message sent.
func (b *bundle) lastConfirmURL() string {
	b.t.Helper()
	m := b.mails()
	if len(m) == 0 {
		b.t.Fatal("no mail was sent")
	}
	u := confirmLink.FindString(m[len(m)-1].Text)
	if u == "" {
		b.t.Fatalf("no confirmation link in %q", m[len(m)-1].Text)
	}
	return u
}

type errorAnswer struct {
	Error   string   `json:"error"`
	Details []string `json:"details"`
}
