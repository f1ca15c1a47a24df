package web

import (
	"fmt"
	"strings"
	"testing"
)

type releaseListAnswer struct {
	Releases []struct {
		ID               int64    `json:"id"`
		Slug             string   `json:"slug"`
		Status           string   `json:"status"`
		Title            string   `json:"title"`
		OriginalLanguage string   `json:"original_language"`
		Languages        []string `json:"languages"`
		EmbargoUntil     *string  `json:"embargo_until"`
		CreatedAt        string   `json:"created_at"`
		PublishedAt      *string  `json:"published_at"`
		Recipients       struct {
			Sent  int `json:"sent"`
			Total int `json:"total"`
		} `json:"recipients"`
	} `json:"releases"`
	Next string `json:"next"`
}

func (a releaseListAnswer) slugs() string {
	var s []string
	for _, r := range a.Releases {
		s = append(s, r.Slug)
	}
	return strings.Join(s, ",")
}

func TestListReleases(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	var ids []int64
	for i := 1; i <= 5; i++ {
		ids = append(ids, b.createRelease(releaseJSON(fmt.Sprintf("release-%d", i), "")))
	}
	if st := b.api("PUT", fmt.Sprintf("/api/v1/releases/%d", ids[1]), `{"slug": "release-2", "original_language": "en",
		"translations": {"en": {"title": "Climate and mobility"}, "es": {"title": "Clima y movilidad"}},
		"topics": ["climate-mobility"], "press_contacts": ["press@example.org"]}`, nil); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", ids[0]), "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	// Deliveries as the dispatcher records them: the release itself
	// counts, its corrections and cancelled or suppressed sends do not.
	pgtest := func(q string) {
		if _, err := b.db.Exec(q, ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	pgtest(`INSERT INTO dispatches (release_id, variant, revision) VALUES ($1, 'correction', 1)`)
	pgtest(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status)
		SELECT s.id, c.id, c.email, 'fr', CASE WHEN s.variant = 'correction' THEN 'sent'
			WHEN c.email LIKE 'a%' THEN 'sent' WHEN c.email LIKE 'j%' THEN 'queued'
			WHEN c.email LIKE 'g%' THEN 'suppressed' ELSE 'cancelled' END
		FROM dispatches s, contacts c WHERE s.release_id = $1 AND c.kind = 'journalist'`)

	var page releaseListAnswer
	if st := b.api("GET", "/api/v1/releases", "", &page); st != 200 || page.slugs() != "release-5,release-4,release-3,release-2,release-1" || page.Next != "" {
		t.Fatalf("list: %d %s next %q", st, page.slugs(), page.Next)
	}
	first := page.Releases[4]
	if first.Status != "published" || first.Title != "Accord pour un bureau" || first.OriginalLanguage != "fr" ||
		strings.Join(first.Languages, ",") != "fr,en" || first.PublishedAt == nil || first.CreatedAt == "" ||
		first.Recipients.Sent != 2 || first.Recipients.Total != 3 {
		t.Fatalf("the published release: %+v", first)
	}
	if second := page.Releases[3]; second.Title != "Climate and mobility" || strings.Join(second.Languages, ",") != "en,es" {
		t.Fatalf("the edited release: %+v", second)
	}

	// Pages newest first, by cursor.
	var got []string
	after := ""
	for i := 0; ; i++ {
		var p releaseListAnswer
		if st := b.api("GET", "/api/v1/releases?limit=2"+after, "", &p); st != 200 || len(p.Releases) > 2 || i > 3 {
			t.Fatalf("page %d: %d %+v", i, st, p)
		}
		got = append(got, p.slugs())
		if p.Next == "" {
			break
		}
		after = "&after=" + p.Next
	}
	if strings.Join(got, "|") != "release-5,release-4|release-3,release-2|release-1" {
		t.Fatalf("pages: %v", got)
	}

	for query, want := range map[string]string{
		"?status=published":      "release-1",
		"?status=draft&limit=1":  "release-5",
		"?q=RELEASE-3":           "release-3",
		"?q=movilidad":           "release-2",
		"?q=bureau&status=draft": "release-5,release-4,release-3",
		"?q=100%25":              "",
		"?status=recalled":       "",
		"?status=draft&after=" + fmt.Sprint(ids[3]): "release-3,release-2",
	} {
		var p releaseListAnswer
		if st := b.api("GET", "/api/v1/releases"+query, "", &p); st != 200 || p.slugs() != want {
			t.Errorf("%s: %d %q, want %q", query, st, p.slugs(), want)
		}
	}
	for query, want := range map[string]string{
		"?stauts=draft":         "stauts: unknown parameter",
		"?limit=501":            "limit: 501 is above the maximum of 500",
		"?limit=-1":             `limit: "-1" is not a non-negative integer`,
		"?after=x":              `after: "x" is not a non-negative integer`,
		"?status=sent":          `status: "sent" is not a release status (draft, submitted, cleared, returned, embargoed, published, recalled)`,
		"?status=draft&q=a&q=b": "q: given 2 times",
	} {
		var e errorAnswer
		if st := b.api("GET", "/api/v1/releases"+query, "", &e); st != 422 || !strings.Contains(strings.Join(e.Details, "\n"), want) {
			t.Errorf("%s: %d %+v, want %q", query, st, e, want)
		}
	}
}
