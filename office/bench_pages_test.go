package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// BenchmarkEveryPage measures every main page of the press office at the
// scale the office is built for: 100,000 contacts who follow countries,
// 1,000 releases in every state and in one to four languages, their
// audit trail, and one release delivered to all 100,000 contacts.
// The browser runs the office's script, as a press officer's does: the
// editor and a draft's page leave the audience count to it, and the
// count is measured as the request of its own the script makes
// (audience-count, audience-panel); editor-counted and
// release-draft-counted are those pages for a browser without scripts.
//
//	go test -run '^$' -bench EveryPage -benchtime 30x -count 3 ./office/
func BenchmarkEveryPage(b *testing.B) {
	bu := setup(b)
	bu.importContacts()
	admin := bu.user("amina@example.org", users.Admin, pw)
	ctx := context.Background()
	bu.db.MustExec(`INSERT INTO contacts (email, kind, name, organisation, country, languages, status, verified)
		SELECT 'j' || i || '@example.net', CASE WHEN i % 499 = 0 THEN 'mission' ELSE 'journalist' END,
			'Journalist ' || i, 'Outlet ' || (i % 977), (ARRAY['FR','SN','MR','GB','ES'])[1 + i % 5],
			ARRAY[(ARRAY['fr','en','es','ar'])[1 + i % 4]], CASE WHEN i % 97 = 0 THEN 'bounced' ELSE 'active' END,
			i % 11 = 0
		FROM generate_series(1, 100000) i`)
	bu.db.MustExec(`INSERT INTO subscriptions (contact_id, kind, value)
		SELECT id, 'country', (ARRAY['FR','SN','MR','GB','ES'])[1 + id % 5] FROM contacts WHERE kind = 'journalist'`)
	bu.db.MustExec(`INSERT INTO suppressions (email, reason) SELECT email, 'bounced' FROM contacts WHERE status = 'bounced'`)

	// The releases the office will look at; the rest, 998 of them, in bulk.
	id, dispatch := bu.publishedRelease("delivered-to-everyone")
	bu.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, email, languages[1], CASE WHEN status = 'bounced' THEN 'bounced' ELSE 'sent' END,
			now() - interval '10 minutes' + (id % 600) * interval '1 second'
		FROM contacts`, dispatch)
	lc := &releases.Lifecycle{DB: bu.db}
	until := time.Now().Add(48 * time.Hour)
	draft, err := lc.Create(ctx, &releases.Draft{Release: releases.Release{Slug: "draft-under-embargo", OriginalLanguage: "fr",
		Translations: map[string]releases.Translation{
			"fr": {Title: "Accord pour un bureau en Mauritanie", Summary: "Un accord signé à Genève.", Dateline: "Genève",
				Body: "Le bureau ouvre en 2027.\n\n| Année | Budget |\n|---|---|\n| 2027 | 1 200 000 |\n"},
			"en": {Title: "Agreement for an office in Mauritania", Body: "The office opens in 2027."},
			"es": {Title: "Acuerdo para una oficina en Mauritania", Body: "La oficina abre en 2027."},
			"ar": {Title: "اتفاق لفتح مكتب في موريتانيا", Body: "يفتح المكتب في عام 2027."}},
		Countries: []string{"MR", "SN"}, PressContacts: []string{"press@example.org"}, EmbargoUntil: &until,
		EmbargoAudience: releases.EmbargoAudience{Missions: "concerned", VerifiedJournalists: true}}}, "user:amina@example.org")
	if err != nil {
		b.Fatal(err)
	}
	bu.db.MustExec(`INSERT INTO releases (slug, original_language, status, countries, embargo_until, created_by, clearance, published_at)
		SELECT 'release-' || i, (ARRAY['fr','en','es','ar'])[1 + i % 4],
			(ARRAY['draft','draft','embargoed','published','published','published','recalled'])[1 + i % 7],
			ARRAY[(ARRAY['FR','SN','MR','GB','ES'])[1 + i % 5]],
			CASE WHEN i % 7 = 2 THEN now() + i * interval '1 hour' END, 'user:amina@example.org',
			CASE WHEN i % 7 = 1 THEN 'submitted' ELSE 'none' END,
			CASE WHEN i % 7 >= 3 THEN now() - i * interval '1 hour' END
		FROM generate_series(1, 998) i`)
	bu.db.MustExec(`INSERT INTO release_translations (release_id, language, title, summary, body)
		SELECT r.id, l, 'Release ' || r.id || ' in ' || l, 'A summary of release ' || r.id, repeat('A paragraph of the release. ', 40)
		FROM releases r, unnest(ARRAY['fr','en','es','ar']) WITH ORDINALITY AS t(l, n)
		WHERE r.slug LIKE 'release-%' AND (l = r.original_language OR n <= 1 + r.id % 4)`)
	bu.db.MustExec(`INSERT INTO release_press_contacts (release_id, position, contact_id)
		SELECT r.id, 0, c.id FROM releases r, contacts c WHERE r.slug LIKE 'release-%' AND c.email = 'press@example.org'`)
	bu.db.MustExec(`INSERT INTO audit_log (at, actor, action, release_id, details)
		SELECT now() - i * interval '1 minute', 'user:amina@example.org',
			(ARRAY['create','edit','submit','clear','publish'])[1 + i % 5], r.id, '{}'
		FROM releases r, generate_series(1, 5) i`)
	// Statistics and hint bits as a database that has been running a while
	// would have them, not as right after a bulk load.
	bu.db.MustExec(`VACUUM ANALYZE`)
	var total int
	if err := bu.db.Get(&total, `SELECT count(*) FROM releases`); err != nil || total != 1000 {
		b.Fatalf("%d releases, want 1000 (%v)", total, err)
	}
	var contact int64
	if err := bu.db.Get(&contact, `SELECT id FROM contacts WHERE email = 'j50000@example.net'`); err != nil {
		b.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := users.CreateToken(ctx, bu.db, users.NewToken{UserID: admin.ID, Name: fmt.Sprintf("script-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}

	br := bu.browser()
	br.signIn("amina@example.org", pw)
	office, _ := url.Parse(bu.url + "/office/")
	br.jar.SetCookies(office, []*http.Cookie{{Name: jsCookie, Value: "1", Path: "/office"}})
	panelForm := url.Values{"original_language": {"fr"}, "lang": {"fr", "en"},
		"countries": {"MR", "SN"}, "embargo_missions": {"concerned"}, "embargo_verified": {"on"},
		"embargo_until": {until.UTC().Format(localLayout)}, "zone": {"UTC"}}
	for _, p := range []struct{ name, path string }{
		{"home", "/office/"},
		{"releases", "/office/releases"},
		{"releases-filtered", "/office/releases?status=published"},
		{"releases-search", "/office/releases?q=mauritania"},
		{"editor", fmt.Sprintf("/office/releases/%d/edit", draft)},
		{"release-draft", fmt.Sprintf("/office/releases/%d", draft)},
		{"audience-count", fmt.Sprintf("/office/releases/%d/audience", draft)},
		{"editor-counted", fmt.Sprintf("/office/releases/%d/edit?count=1", draft)},
		{"release-draft-counted", fmt.Sprintf("/office/releases/%d?count=1", draft)},
		{"release-delivered", fmt.Sprintf("/office/releases/%d", id)},
		{"preview", fmt.Sprintf("/office/releases/%d/preview", draft)},
		{"report", fmt.Sprintf("/office/releases/%d/report", id)},
		{"contacts", "/office/contacts"},
		{"contacts-search", "/office/contacts?q=outlet+42"},
		{"contacts-filtered", "/office/contacts?kind=journalist&country=SN&status=active"},
		{"contact", fmt.Sprintf("/office/contacts/%d", contact)},
		{"missions", "/office/missions"},
		{"suppressions", "/office/suppressions"},
		{"import", "/office/contacts/import"},
		{"admin-users", "/office/admin/users"},
		{"admin-tokens", "/office/admin/tokens"},
		{"admin-taxonomy", "/office/admin/taxonomy"},
		{"admin-audit", "/office/admin/audit"},
		{"profile", "/office/profile"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if res := br.get(p.path); res.status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, res.status)
				}
			}
		})
	}
	b.Run("audience-panel", func(b *testing.B) {
		for b.Loop() {
			if res := br.post("/office/releases/audience", panelForm); res.status != http.StatusOK {
				b.Fatalf("audience panel: %d\n%s", res.status, res.body)
			}
		}
	})
}
