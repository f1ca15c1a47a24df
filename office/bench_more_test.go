package office

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/communique/communique/users"
)

// BenchmarkMorePages measures the report, contacts and administration
// pages with 100,000 contacts and a release delivered to all of them,
// sent over ten minutes.
func BenchmarkMorePages(b *testing.B) {
	bu := setup(b)
	bu.importContacts()
	bu.user("amina@example.org", users.Admin, pw)
	bu.db.MustExec(`INSERT INTO contacts (email, kind, name, organisation, country, languages, status)
		SELECT 'j' || i || '@example.net', CASE WHEN i % 500 = 0 THEN 'mission' ELSE 'journalist' END,
			'Journalist ' || i, 'Outlet ' || (i % 977), (ARRAY['FR','SN','MR','GB','ES'])[1 + i % 5],
			ARRAY[(ARRAY['fr','en','es','ar'])[1 + i % 4]], CASE WHEN i % 97 = 0 THEN 'bounced' ELSE 'active' END
		FROM generate_series(1, 100000) i`)
	bu.db.MustExec(`INSERT INTO suppressions (email, reason) SELECT email, 'bounced' FROM contacts WHERE status = 'bounced'`)
	id, dispatch := bu.publishedRelease("benchmarked")
	bu.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, email, languages[1], CASE WHEN status = 'bounced' THEN 'bounced' ELSE 'sent' END,
			now() - interval '10 minutes' + (id % 600) * interval '1 second'
		FROM contacts`, dispatch)
	bu.db.MustExec(`ANALYZE`)
	var contact int64
	if err := bu.db.Get(&contact, `SELECT id FROM contacts WHERE email = 'j50000@example.net'`); err != nil {
		b.Fatal(err)
	}
	br := bu.browser()
	br.signIn("amina@example.org", pw)
	for _, p := range []struct{ name, path string }{
		{"report", fmt.Sprintf("/office/releases/%d/report", id)},
		{"report-filtered", fmt.Sprintf("/office/releases/%d/report?status=bounced&language=ar", id)},
		{"correct", fmt.Sprintf("/office/releases/%d/correct", id)},
		{"contacts", "/office/contacts"},
		{"contacts-search", "/office/contacts?q=outlet+42"},
		{"contacts-filtered", "/office/contacts?kind=journalist&country=SN&status=active"},
		{"missions", "/office/missions"},
		{"contact", fmt.Sprintf("/office/contacts/%d", contact)},
		{"suppressions", "/office/suppressions"},
		{"users", "/office/admin/users"},
		{"audit", "/office/admin/audit"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if res := br.get(p.path); res.status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, res.status)
				}
			}
		})
	}
}
