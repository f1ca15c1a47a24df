package office

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/users"
)

// draftFromEditor saves releaseForm through the editor and returns the
// new draft's id.
func (b *bundle) draftFromEditor(br *browser, slug string) int64 {
	b.t.Helper()
	br.get("/office/releases/new")
	res := br.post("/office/releases/new", releaseForm(slug, time.Now().Add(2*time.Hour)))
	if res.status != http.StatusSeeOther {
		b.t.Fatalf("save %s: %d\n%s", slug, res.status, res.body)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(res.location, "/office/releases/"), 10, 64)
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// taxonomy adds the built-in regions and a topic, as the service's first
// start does.
func (b *bundle) taxonomy() {
	b.t.Helper()
	if err := taxonomy.Seed(context.Background(), b.db); err != nil {
		b.t.Fatal(err)
	}
	b.db.MustExec(`INSERT INTO topics (slug, names) VALUES ('migration', '{"en": "Migration", "fr": "Migrations"}') ON CONFLICT DO NOTHING`)
}

var stampField = regexp.MustCompile(`name="stamp" id="stamp" value="(\d+)"`)

// editForm opens draft id's editor and returns its stamp.
func editForm(t *testing.T, br *browser, id int64) string {
	t.Helper()
	res := br.get(fmt.Sprintf("/office/releases/%d/edit", id))
	m := stampField.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("edit %d: %d, stamp %v", id, res.status, m)
	}
	return m[1]
}

// The preview is the message's own rendering: a table is a table, and
// a script is gone. It needs the right to write releases and the form's
// token.
func TestEditorMarkdownPreview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("viewer@example.org", users.Viewer, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)
	md := "## Budget\n\n| Year | Amount |\n|---|---|\n| 2027 | 1 200 000 |\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) **bold**"
	res := po.post("/office/releases/markdown", url.Values{"lang": {"fr"}, "markdown": {md}})
	wantStatus(t, "preview", res, http.StatusOK, "<table", "<td", "1 200 000", "<strong", "<h2")
	for _, bad := range []string{"<script", "alert(1)", "javascript:"} {
		if strings.Contains(res.body, bad) {
			t.Errorf("the preview holds %q:\n%s", bad, res.body)
		}
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("a fragment runs no script: CSP %q", csp)
	}
	// Arabic reads right to left, its numbers isolated, as in the mail.
	res = po.post("/office/releases/markdown", url.Values{"lang": {"ar"}, "markdown": {"الهاتف +41 22 717 9111"}})
	wantStatus(t, "Arabic preview", res, http.StatusOK, "<bdi")

	wantStatus(t, "no token", po.postRaw("/office/releases/markdown", url.Values{"markdown": {"x"}}), http.StatusForbidden)
	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	wantStatus(t, "a viewer", viewer.post("/office/releases/markdown", url.Values{"markdown": {"x"}}), http.StatusForbidden, "This needs the Press officer role")
}

// panelCount reads a number of the audience panel, or -1.
func panelCount(body, id string) int {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `" data-n="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// The panel counts what the form holds, saved or not, as the database
// says; nobody is said in words and in red.
func TestEditorAudienceOfTheForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.taxonomy()
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("viewer@example.org", users.Viewer, pw)
	// Journalists following regions and topics, in several languages.
	b.db.MustExec(`INSERT INTO contacts (email, name, kind, country, languages, verified)
		SELECT 'j' || i || '@example.net', 'Journalist ' || i, 'journalist', 'FR',
			ARRAY[(ARRAY['fr', 'en', 'es', 'ar'])[1 + i % 4]], i % 5 = 0
		FROM generate_series(1, 200) i`)
	b.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, 'region', (ARRAY['africa', 'western-africa', 'europe'])[1 + id % 3] FROM contacts WHERE email LIKE 'j%@example.net'`)
	po := b.browser()
	po.signIn("po@example.org", pw)
	po.get("/office/releases/new")

	form := url.Values{"slug": {"x"}, "original_language": {"fr"}, "lang": {"fr", "en"}, "regions": {"western-africa"},
		"countries": {"MR"}, "embargo_until": {time.Now().Add(3 * time.Hour).UTC().Format(localLayout)}, "zone": {"UTC"},
		"embargo_missions": {"all"}, "embargo_verified": {"on"}}
	res := po.post("/office/releases/audience", form)
	wantStatus(t, "audience", res, http.StatusOK, `id="panel-heading"`, `id="panel-sample"`)
	// Who follows Western Africa, Africa (which holds it) or Mauritania,
	// active and not suppressed; the language each reads is theirs when
	// the release has it, French (the original) otherwise.
	reach := `FROM contacts c WHERE c.status = 'active' AND c.id IN (SELECT contact_id FROM subscriptions
		WHERE (kind = 'region' AND value IN ('western-africa', 'africa')) OR (kind = 'country' AND value = 'MR'))`
	want := map[string]int{
		"panel-total":           count(t, b.db, `SELECT count(*) `+reach),
		"panel-kind-journalist": count(t, b.db, `SELECT count(*) `+reach+` AND kind = 'journalist'`),
		"panel-lang-fr":         count(t, b.db, `SELECT count(*) `+reach+` AND languages[1] NOT IN ('en')`),
		"panel-lang-en":         count(t, b.db, `SELECT count(*) `+reach+` AND languages[1] = 'en'`),
		"panel-embargo":         count(t, b.db, `SELECT count(*) FROM contacts WHERE status = 'active' AND (kind = 'mission' OR (kind = 'journalist' AND verified AND id IN (SELECT id `+reach+`)))`),
	}
	for id, n := range want {
		if got := panelCount(res.body, id); got != n || n == 0 {
			t.Errorf("%s: %d, the database says %d", id, got, n)
		}
	}
	if strings.Contains(res.body, `id="panel-nobody"`) {
		t.Error("an audience is called nobody")
	}

	// Nobody is said so.
	res = po.post("/office/releases/audience", url.Values{"original_language": {"fr"}, "lang": {"fr"}, "topics": {}})
	wantStatus(t, "nobody", res, http.StatusOK, `id="panel-nobody"`, `class="nobody"`, "Nobody would receive this release")
	// An unknown region is named, not counted.
	res = po.post("/office/releases/audience", url.Values{"regions": {"atlantis"}})
	wantStatus(t, "unknown region", res, http.StatusUnprocessableEntity, `id="panel-error"`, "atlantis")

	wantStatus(t, "no token", po.postRaw("/office/releases/audience", form), http.StatusForbidden)
	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	wantStatus(t, "a viewer", viewer.post("/office/releases/audience", form), http.StatusForbidden)

	// The editor shows the panel as of its loading, for a page without
	// scripts, and the regions as a tree.
	id := b.draftFromEditor(po, "panel-on-load")
	res = po.get(fmt.Sprintf("/office/releases/%d/edit", id))
	wantStatus(t, "the editor", res, http.StatusOK, `id="audience-panel"`, `<ul class="region-tree">`, `id="autosave-status"`,
		`value="western-africa"`, `<table`)
	tree := regexp.MustCompile(`value="africa"> [^<]+</label><ul><li><label class="check"><input type="checkbox" name="regions" value="(northern-africa|sub-saharan-africa)"`)
	if !tree.MatchString(res.body) {
		t.Error("Africa's sub-regions are not nested in it")
	}
}

// decodeAnswer reads an autosave's answer.
func decodeAnswer(t *testing.T, res response) autosaveAnswer {
	t.Helper()
	var a autosaveAnswer
	if err := json.Unmarshal([]byte(res.body), &a); err != nil {
		t.Fatalf("answer %d %q: %v", res.status, res.body, err)
	}
	return a
}

// An autosave saves a draft as the save button does, keeps it a draft,
// and refuses, changing nothing, what would overwrite another's edit or
// withdraw a clearance, and a release no longer a draft.
func TestEditorAutosave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("po2@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)
	b.user("viewer@example.org", users.Viewer, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)
	id := b.draftFromEditor(po, "autosaved")
	path := fmt.Sprintf("/office/releases/%d/autosave", id)
	title := func() string {
		r, err := releases.Get(ctx, b.db, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Translations["fr"].Title
	}
	form := func(stamp, title string) url.Values {
		f := releaseForm("autosaved", time.Now().Add(2*time.Hour))
		f.Del("op")
		f.Set("stamp", stamp)
		f.Set("zone", "UTC")
		f.Set("translations.fr.title", title)
		return f
	}

	stamp := editForm(t, po, id)
	res := po.post(path, form(stamp, "Premier jet"))
	a := decodeAnswer(t, res)
	if res.status != http.StatusOK || !strings.HasPrefix(a.Message, "Saved at ") || a.Stamp == "" || a.Stamp == stamp || title() != "Premier jet" {
		t.Fatalf("autosave: %d %+v, title %q", res.status, a, title())
	}
	// Again with the stamp it answered: the same form goes on saving.
	res = po.post(path, form(a.Stamp, "Deuxième jet"))
	if a = decodeAnswer(t, res); res.status != http.StatusOK || title() != "Deuxième jet" {
		t.Fatalf("second autosave: %d %+v", res.status, a)
	}
	if rel, _ := releases.Get(ctx, b.db, id); rel.Status != releases.StatusDraft {
		t.Errorf("autosave made it %s", rel.Status)
	}

	// Problems are named, field by field, and nothing is saved.
	bad := form(a.Stamp, "")
	bad.Set("slug", "Not a slug")
	res = po.post(path, bad)
	if p := decodeAnswer(t, res); res.status != http.StatusUnprocessableEntity || len(p.Problems) < 2 || !strings.HasPrefix(p.Message, "Not saved: ") {
		t.Errorf("a bad form: %d %+v", res.status, p)
	}
	if title() != "Deuxième jet" {
		t.Errorf("a bad form saved %q", title())
	}

	// Someone else saves: the first form's autosave is refused, theirs kept.
	other := b.browser()
	other.signIn("po2@example.org", pw)
	theirs := editForm(t, other, id)
	if res := other.post(path, form(theirs, "Leur version")); res.status != http.StatusOK {
		t.Fatalf("their autosave: %d %s", res.status, res.body)
	}
	res = po.post(path, form(a.Stamp, "Ma version"))
	if c := decodeAnswer(t, res); res.status != http.StatusConflict || !c.Stop || !strings.Contains(c.Message, "someone saved this release") || title() != "Leur version" {
		t.Errorf("a stale autosave: %d %+v, title %q", res.status, c, title())
	}

	// Submitted for clearance: an autosave would withdraw that; refused.
	stamp = editForm(t, po, id)
	wantStatus(t, "submit", po.post(fmt.Sprintf("/office/releases/%d/submit", id), nil), http.StatusSeeOther)
	page := po.get(fmt.Sprintf("/office/releases/%d/edit", id))
	if strings.Contains(page.body, "data-autosave=") || !strings.Contains(page.body, "Changes are not saved automatically") {
		t.Error("the editor of a submitted draft autosaves")
	}
	res = po.post(path, form(stamp, "Ma version"))
	if c := decodeAnswer(t, res); res.status != http.StatusConflict || !strings.Contains(c.Message, "Submitted for clearance") || title() != "Leur version" {
		t.Errorf("autosave of a submitted draft: %d %+v, title %q", res.status, c, title())
	}
	if rel, _ := releases.Get(ctx, b.db, id); clearanceState(rel) != releases.ClearanceSubmitted {
		t.Errorf("the submission was withdrawn: %s", clearanceState(rel))
	}

	// Published: no longer a draft.
	lc := &releases.Lifecycle{DB: b.db}
	if _, err := lc.Publish(ctx, id, "user:ed@example.org", releases.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	res = po.post(path, form(stamp, "Ma version"))
	if c := decodeAnswer(t, res); res.status != http.StatusConflict || !strings.Contains(c.Message, "no longer a draft") || title() != "Leur version" {
		t.Errorf("autosave of a published release: %d %+v", res.status, c)
	}

	// The form's token and the right to write are needed.
	wantStatus(t, "no token", po.postRaw(path, form(stamp, "x")), http.StatusForbidden)
	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	wantStatus(t, "a viewer", viewer.post(path, form(stamp, "x")), http.StatusForbidden)
	if title() != "Leur version" {
		t.Errorf("a refused autosave saved %q", title())
	}
}

// BenchmarkEditorAudience measures the audience panel's count with
// 100,000 contacts following regions, countries and topics: a usual
// selection (a sub-region, a country, a topic), a wide one with an
// embargo (two continents, two topics, missions and verified journalists
// first), and the editor's page, which counts its panel as it loads.
//
//	go test -run '^$' -bench EditorAudience -benchtime 20x ./office/
func BenchmarkEditorAudience(b *testing.B) {
	bu := setup(b)
	bu.taxonomy()
	bu.importContacts()
	bu.user("po@example.org", users.PressOfficer, pw)
	bu.db.MustExec(`INSERT INTO topics (slug, names) SELECT t, '{}' FROM unnest(ARRAY['health', 'climate', 'trade', 'education']) t`)
	bu.db.MustExec(`INSERT INTO contacts (email, kind, name, organisation, country, languages, verified, status)
		SELECT 'j' || i || '@example.net', CASE WHEN i % 500 = 0 THEN 'mission' ELSE 'journalist' END,
			'Journalist ' || i, 'Outlet ' || (i % 977), (ARRAY['FR','SN','MR','GB','ES'])[1 + i % 5],
			ARRAY[(ARRAY['fr','en','es','ar'])[1 + i % 4]], i % 7 = 0, CASE WHEN i % 97 = 0 THEN 'bounced' ELSE 'active' END
		FROM generate_series(1, 100000) i`)
	bu.db.MustExec(`INSERT INTO suppressions (email, reason) SELECT email, 'bounced' FROM contacts WHERE status = 'bounced'`)
	// Each journalist follows a region; half of them a country too, a
	// third a topic.
	bu.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT c.id, 'region', r.slugs[1 + c.id % array_length(r.slugs, 1)]
		FROM contacts c, (SELECT array_agg(slug ORDER BY slug) AS slugs FROM regions) r WHERE c.email LIKE 'j%@example.net'`)
	bu.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, 'country', (ARRAY['FR','SN','MR','GB','ES','US','BR','IN','CN','NG'])[1 + (id / 7) % 10]
		FROM contacts WHERE email LIKE 'j%@example.net' AND id % 2 = 0`)
	bu.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, 'topic', (ARRAY['migration','health','climate','trade','education'])[1 + (id / 3) % 5]
		FROM contacts WHERE email LIKE 'j%@example.net' AND id % 3 = 0`)
	bu.db.MustExec(`ANALYZE`)
	br := bu.browser()
	br.signIn("po@example.org", pw)
	id := bu.draftFromEditor(br, "benchmarked")
	embargo := time.Now().Add(3 * time.Hour).UTC().Format(localLayout)
	for _, s := range []struct {
		name string
		form url.Values
	}{
		{"usual", url.Values{"original_language": {"fr"}, "lang": {"fr", "en"}, "regions": {"western-africa"},
			"countries": {"MR"}, "topics": {"health"}, "embargo_missions": {"none"}}},
		{"wide-embargoed", url.Values{"original_language": {"fr"}, "lang": {"fr", "en", "es"}, "regions": {"africa", "europe"},
			"topics": {"migration", "health"}, "embargo_until": {embargo}, "zone": {"UTC"}, "embargo_missions": {"all"}, "embargo_verified": {"on"}}},
	} {
		b.Run(s.name, func(b *testing.B) {
			var total int
			for b.Loop() {
				res := br.post("/office/releases/audience", s.form)
				if res.status != http.StatusOK {
					b.Fatalf("audience: %d\n%s", res.status, res.body)
				}
				total = panelCount(res.body, "panel-total")
			}
			b.ReportMetric(float64(total), "recipients")
		})
	}
	b.Run("editor-page", func(b *testing.B) {
		for b.Loop() {
			if res := br.get(fmt.Sprintf("/office/releases/%d/edit", id)); res.status != http.StatusOK {
				b.Fatalf("editor: %d", res.status)
			}
		}
	})
}

// The editor reads whole in each language, its panel and buttons too,
// and allows our own script only.
func TestEditorLocalized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.taxonomy()
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)
	id := b.draftFromEditor(po, "localized-editor")
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		for _, path := range []string{"/office/releases/new", fmt.Sprintf("/office/releases/%d/edit", id)} {
			res := po.get(path + "?lang=" + lang)
			wantStatus(t, lang+" "+path, res, http.StatusOK, `<html lang="`+lang+`" dir="`+pageDir(lang)+`">`,
				`id="audience-panel"`, `class="md-toolbar"`, `src="/office/static/editor.js"`)
			if strings.Contains(res.body, "[missing text") {
				t.Errorf("%s %s: a text is missing", lang, path)
			}
			if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("%s %s: CSP %q", lang, path, csp)
			}
		}
	}
	res := po.get("/office/static/editor.js")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/javascript") || !strings.Contains(res.body, "beforeunload") {
		t.Errorf("editor.js: %d %q", res.status, res.header.Get("Content-Type"))
	}
}
