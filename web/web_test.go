package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
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
	dsn    string
	h      *Handler
	srv    *httptest.Server
	signer *links.Signer
	// sending is set once a dispatcher sends the queued messages.
	sending bool
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	db, dsn := pgtest.DBURL(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"migration-governance", "climate-mobility"} {
		if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: slug, Names: taxonomy.Names{"en": slug}}); err != nil {
			t.Fatal(err)
		}
	}
	b := &bundle{t: t, ctx: ctx, db: db, dsn: dsn, signer: links.NewSigner("test secret")}
	b.h = &Handler{DB: db, Logger: slog.New(slog.DiscardHandler), Signer: b.signer, AdminToken: testToken,
		FromName: "Media Office", FromEmail: "media@example.org"}
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

// mails returns the messages queued so far, oldest first, as their
// readers would see them, once the public pages' work queued after
// answering is done.
func (b *bundle) mails() []*mailer.Message {
	b.t.Helper()
	b.settle()
	var rows [][]byte
	if err := b.db.Select(&rows, `SELECT data FROM messages ORDER BY id`); err != nil {
		b.t.Fatal(err)
	}
	out := make([]*mailer.Message, len(rows))
	for i, data := range rows {
		out[i] = queuedMessage(b.t, data)
	}
	return out
}

// queuedMessage reads back the fields of a queued message.
func queuedMessage(t *testing.T, data []byte) *mailer.Message {
	t.Helper()
	r := parseReceived(t, data)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(r.header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", r.header.Get("Subject"), err)
	}
	from, err := mail.ParseAddress(r.header.Get("From"))
	if err != nil {
		t.Fatalf("From %q: %v", r.header.Get("From"), err)
	}
	to, err := mail.ParseAddress(r.header.Get("To"))
	if err != nil {
		t.Fatalf("To %q: %v", r.header.Get("To"), err)
	}
	return &mailer.Message{FromName: from.Name, FromEmail: from.Address, ToName: to.Name, ToEmail: to.Address,
		MessageID: strings.Trim(r.header.Get("Message-Id"), "<>"), ListID: r.header.Get("List-Id"),
		Language: r.header.Get("Content-Language"), Subject: subject, Text: r.text, HTML: r.html}
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
