package newsroom_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/links"
	"github.com/communique/communique/newsroom"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

// clock is a controllable clock for the life cycle.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

const base = "https://news.example.org"

// secret signs the preview links in these tests.
const secret = "newsroom-test-secret-0123456789abcdef"

type bundle struct {
	db  *sqlx.DB
	lc  *releases.Lifecycle
	clk *clock
	h   http.Handler
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	return newBundle(t)
}

func newBundle(t testing.TB) *bundle {
	t.Helper()
	db := pgtest.DB(t)
	if err := taxonomy.Seed(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind) VALUES ('press@example.org', 'press_officer')`)
	pgtest.Exec(t, db, `INSERT INTO topics (slug, names) VALUES ('health', '{"en": "Health", "fr": "Santé", "ar": "الصحة"}'), ('trade', '{"en": "Trade"}')`)
	c := &clock{t: t0}
	return &bundle{db: db, clk: c,
		lc: &releases.Lifecycle{DB: db, Now: c.Now},
		h:  newsroom.New(newsroom.Config{DB: db, BaseURL: base, Organisation: "International Migration Agency", Signer: links.NewSigner(secret)})}
}

// spec describes a release to create.
type spec struct {
	slug                     string
	langs                    map[string]releases.Translation
	regions, countries, tops []string
	until                    *time.Time
}

func (b *bundle) create(t *testing.T, s spec) int64 {
	t.Helper()
	if s.langs == nil {
		s.langs = map[string]releases.Translation{"en": {Title: "Title of " + s.slug, Summary: "Summary of " + s.slug, Body: "Body of **" + s.slug + "**."}}
	}
	orig := "en"
	if _, ok := s.langs["en"]; !ok {
		for l := range s.langs {
			orig = l
		}
	}
	if s.countries == nil && s.regions == nil && s.tops == nil {
		s.countries = []string{"MR"}
	}
	id, err := releases.Create(context.Background(), b.db, &releases.Release{
		Slug: s.slug, OriginalLanguage: orig, Translations: s.langs,
		Regions: s.regions, Countries: s.countries, Topics: s.tops, PressContacts: []string{"press@example.org"},
		EmbargoUntil: s.until, EmbargoAudience: releases.EmbargoAudience{Missions: "none"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// publish creates and publishes a release at the clock's time.
func (b *bundle) publish(t *testing.T, s spec) int64 {
	t.Helper()
	id := b.create(t, s)
	if _, err := b.lc.Publish(context.Background(), id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	return id
}

// get asks the newsroom for target with headers given as "Name: value".
func (b *bundle) get(t *testing.T, target string, headers ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func wantStatus(t *testing.T, res *http.Response, body string, code int) {
	t.Helper()
	if res.StatusCode != code {
		t.Fatalf("status %d, want %d\n%s", res.StatusCode, code, body)
	}
}
