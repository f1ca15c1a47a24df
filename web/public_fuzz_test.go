package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

// The fuzz tests throw arbitrary bytes, as a form body and as a query, at
// the public forms: the answer is never a 5xx nor a panic, and the work
// queued after answering never fails. `go test` runs the seeds only;
// `go test -fuzz FuzzSubscribe ./web/` searches further.

// fuzzPages is the public pages in process over a database of their own,
// with a browser's CSRF cookie and token, counting logged errors.
type fuzzPages struct {
	h       *Handler
	routes  http.Handler
	cookie  *http.Cookie
	csrf    string
	contact int64
	errors  *errorCount
	clients atomic.Uint32
}

func newFuzzPages(f *testing.F) *fuzzPages {
	ctx := context.Background()
	db := pgtest.DB(f)
	if err := taxonomy.Seed(ctx, db); err != nil {
		f.Fatal(err)
	}
	if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: "migration-governance", Names: taxonomy.Names{"en": "Migration"}}); err != nil {
		f.Fatal(err)
	}
	fp := &fuzzPages{errors: &errorCount{}}
	fp.h = &Handler{DB: db, Logger: slog.New(fp.errors), Signer: links.NewSigner("fuzz secret"),
		FromName: "Media Office", FromEmail: "media@example.org", BaseURL: "https://news.example.org"}
	fp.routes = fp.h.Routes()
	f.Cleanup(fp.h.Close)
	if err := db.GetContext(ctx, &fp.contact, `
		INSERT INTO contacts (email, kind, name, status) VALUES ('fuzz@example.org', 'journalist', 'Fuzz', 'pending') RETURNING id`); err != nil {
		f.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fp.routes.ServeHTTP(rec, httptest.NewRequest("GET", "/subscribe", nil))
	fp.cookie = rec.Result().Cookies()[0]
	fp.csrf = csrfInput.FindStringSubmatch(rec.Body.String())[1]
	return fp
}

// do sends method path?query with body, plus the form's token, from a new
// client each time so that the rate limit lets every input through.
func (fp *fuzzPages) do(t *testing.T, method, path, query string, body []byte) {
	target := path
	if query != "" {
		target += "?" + query
	}
	req, err := http.NewRequest(method, "http://news.example.org"+path, strings.NewReader(string(body)+"&csrf="+fp.csrf))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = query // as sent, unchecked, like a server reads it
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(fp.cookie)
	n := fp.clients.Add(1)
	req.RemoteAddr = fmt.Sprintf("100.%d.%d.%d:4711", 64+n>>16%64, n>>8%256, n%256)
	rec := httptest.NewRecorder()
	fp.routes.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s: %d\n%s", method, target, rec.Code, rec.Body.String())
	}
	fp.h.public.background.wait()
	if msg := fp.errors.take(); msg != "" {
		t.Fatalf("%s %s: logged %s", method, target, msg)
	}
}

func fuzzSeeds(f *testing.F) {
	for _, body := range []string{
		"email=ana%40example.org&name=Ana&organisation=Le+Soleil&region=africa&country=MR&topic=migration-governance&lang1=fr&lang2=en&timezone=Africa%2FDakar",
		"email=ana%40example.org&region=africa&name=%00",
		"email=ana%40example.org&region=africa&name=\xff\xfe&organisation=%C0%AF",
		"email=%00%40example.org&region=%ff&country=\x00&topic=%C2%85&lang1=%ff&timezone=%00",
		"email=" + strings.Repeat("a", 300) + "%40example.org&region=africa&name=" + strings.Repeat("%E2%80%AE", 250),
		"region=nowhere&country=XX&topic=nothing&lang1=xx-!!&timezone=Mars%2FOlympus",
		"name=%zz&email=",
		"a=1;b=2",
		"csrf=forged&email=ana%40example.org&region=africa",
		strings.Repeat("region=africa&", 400),
		"List-Unsubscribe=One-Click",
		"",
	} {
		for _, query := range []string{"", "lang=fr", "lang=%ff%00", "lang=ar&lang=fr&saved=1", "%zz;x"} {
			f.Add(query, []byte(body))
		}
	}
	f.Add("lang=es", []byte(strings.Repeat("x", maxFormBody+10)))
}

func FuzzSubscribe(f *testing.F) {
	fp := newFuzzPages(f)
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		fp.do(t, "POST", "/subscribe", query, body)
	})
}

func FuzzPreferences(f *testing.F) {
	fp := newFuzzPages(f)
	path := "/preferences/" + fp.h.Signer.Token("preferences", fp.contact, time.Now().Add(time.Hour))
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		fp.do(t, "POST", path, query, body)
	})
}

func FuzzConfirm(f *testing.F) {
	fp := newFuzzPages(f)
	path := "/confirm/" + fp.h.Signer.Token("confirm", fp.contact, time.Now().Add(time.Hour))
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		fp.do(t, "POST", path, query, body)
	})
}

func FuzzUnsubscribe(f *testing.F) {
	fp := newFuzzPages(f)
	path := "/unsubscribe/" + fp.h.Signer.Token("unsubscribe", fp.contact, time.Time{})
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		fp.do(t, "POST", path+"/preferences", query, body)
		fp.do(t, "POST", path, query, body)
	})
}

// errorCount is a log handler that keeps the errors logged.
type errorCount struct {
	mu   sync.Mutex
	msgs []string
}

func (e *errorCount) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (e *errorCount) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.String()
		return true
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msgs = append(e.msgs, msg)
	return nil
}

func (e *errorCount) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *errorCount) WithGroup(string) slog.Handler      { return e }

// take returns the errors logged since it was last called, if any.
func (e *errorCount) take() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := strings.Join(e.msgs, "; ")
	e.msgs = nil
	return msg
}
