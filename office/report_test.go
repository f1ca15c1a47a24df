package office

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// moreJournalists adds n English-reading journalists who follow
// Mauritania, so that a release's deliveries fill more than a page.
func (b *bundle) moreJournalists(n int) {
	b.t.Helper()
	var csvText strings.Builder
	csvText.WriteString("email,name,kind,languages,countries\n")
	for i := range n {
		fmt.Fprintf(&csvText, "j%03d@example.net,Journalist %d,journalist,en,MR\n", i, i)
	}
	if _, err := contacts.Import(context.Background(), b.db, strings.NewReader(csvText.String()), contacts.ImportOptions{}); err != nil {
		b.t.Fatal(err)
	}
}

func TestReportChartsFiltersPagesAndCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.moreJournalists(60)
	b.user("viewer@example.org", users.Viewer, pw)
	id, dispatch := b.publishedRelease("reported")
	b.received(dispatch)
	// Sent over 90 seconds: three spans of 2 s have messages. One
	// address bounced, with a reply a spreadsheet would run.
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	b.db.MustExec(`UPDATE deliveries SET sent_at = $1`, start)
	b.db.MustExec(`UPDATE deliveries SET sent_at = $1 WHERE email LIKE 'j00%'`, start.Add(30*time.Second))
	b.db.MustExec(`UPDATE deliveries SET sent_at = $1 WHERE email = 'awa@example.com'`, start.Add(90*time.Second))
	b.db.MustExec(`UPDATE deliveries SET status = 'bounced', sent_at = NULL, smtp_code = 550,
		smtp_reply = '=HYPERLINK("http://evil.example")' WHERE email = 'john@example.com'`)

	br := b.browser()
	br.signIn("viewer@example.org", pw)
	wantStatus(t, "the release page", br.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, `id="report-link"`)
	path := fmt.Sprintf("/office/releases/%d/report", id)
	res := br.get(path)
	wantStatus(t, "the report", res, http.StatusOK, "63 deliveries in all.", `id="chart-status"`, `id="chart-language"`, `id="chart-sends"`,
		"<td>Sent</td><td class=\"num\">62</td>", "<td>Bounced</td><td class=\"num\">1</td>",
		"<td>English</td><td class=\"num\">61</td>", "<td>Français</td><td class=\"num\">2</td>",
		"Each column counts the messages sent in 2s", `id="deliveries-next"`)
	if n := strings.Count(res.body, `fill="#2e7d32"><title>`); n != 3 {
		t.Errorf("the sends chart has %d columns, want 3", n)
	}
	if !strings.Contains(res.body, "2026-11-27 09:00:00 UTC: 51") ||
		!strings.Contains(res.body, "2026-11-27 09:00:30 UTC: 10") || !strings.Contains(res.body, "2026-11-27 09:01:30 UTC: 1") {
		t.Errorf("the sends chart's columns are not counted by time\n%s", res.body)
	}
	if n := strings.Count(res.body, `<tr id="delivery-`); n != 50 {
		t.Errorf("first page: %d rows, want 50", n)
	}
	next := between(res.body, `<a href="`, `" id="deliveries-next"`)
	rest := br.get(strings.ReplaceAll(next, "&amp;", "&"))
	if n := strings.Count(rest.body, `<tr id="delivery-`); rest.status != http.StatusOK || n != 13 || strings.Contains(rest.body, `id="deliveries-next"`) {
		t.Errorf("second page: %d, %d rows", rest.status, n)
	}

	// Filters by language, status and message.
	fr := br.get(path + "?language=fr")
	wantStatus(t, "French deliveries", fr, http.StatusOK, "awa@example.com", "pierre@example.com")
	if strings.Contains(fr.body, "john@example.com") || strings.Contains(fr.body, "j001@example.net") {
		t.Error("the language filter lets other languages through")
	}
	bounced := br.get(path + "?status=bounced&variant=public")
	wantStatus(t, "bounced", bounced, http.StatusOK, "john@example.com", "550 ")
	if n := strings.Count(bounced.body, `<tr id="delivery-`); n != 1 {
		t.Errorf("bounced: %d rows", n)
	}
	wantStatus(t, "no recall", br.get(path+"?variant=recall"), http.StatusOK, "No delivery matches.")
	wantStatus(t, "a bad status", br.get(path+"?status=lost&variant=memo"), http.StatusBadRequest,
		`id="status-error"`, `id="variant-error"`, "This is not one of the choices offered.")
	wantStatus(t, "a bad page", br.get(path+"?after=-1"), http.StatusBadRequest, `<a href="#after">Page</a>: This is not one of the choices offered.`)

	// The CSV holds what the filters chose, every page of it, and no formula.
	csvRes := br.get(fmt.Sprintf("/office/releases/%d/deliveries.csv?status=bounced", id))
	if csvRes.status != http.StatusOK || !strings.HasPrefix(csvRes.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvRes.status, csvRes.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(csvRes.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][1] != "john@example.com" || rows[1][6] != "550" || rows[1][7] != `'=HYPERLINK("http://evil.example")` {
		t.Errorf("csv: %q", rows)
	}
	all := br.get(fmt.Sprintf("/office/releases/%d/deliveries.csv", id))
	if n := strings.Count(all.body, "\n"); n != 64 {
		t.Errorf("the whole csv has %d lines, want 64", n)
	}
	wantStatus(t, "a bad csv filter", br.get(fmt.Sprintf("/office/releases/%d/deliveries.csv?status=lost", id)), http.StatusBadRequest, "Status: This is not one of the choices offered.")
	wantStatus(t, "an unknown release", br.get("/office/releases/999999/report"), http.StatusNotFound)
	wantStatus(t, "an unknown release's csv", br.get("/office/releases/999999/deliveries.csv"), http.StatusNotFound)
}

// between is the text of s between before and after.
func between(s, before, after string) string {
	end := strings.Index(s, after)
	if end < 0 {
		return ""
	}
	start := strings.LastIndex(s[:end], before)
	if start < 0 {
		return ""
	}
	return s[start+len(before) : end]
}

func TestSendsAreCountedInAtMostSixtySpans(t *testing.T) {
	for _, c := range []struct {
		span, want time.Duration
	}{
		{0, time.Second}, {59 * time.Second, time.Second}, {60 * time.Second, 2 * time.Second},
		{3 * time.Hour, 5 * time.Minute}, {59 * 24 * time.Hour, 24 * time.Hour}, {100 * 24 * time.Hour, 48 * time.Hour},
	} {
		got := spanStep(c.span)
		if got != c.want || c.span/got >= 60 {
			t.Errorf("spanStep(%s) = %s, want %s", c.span, got, c.want)
		}
	}
}

// The report page counts a release's deliveries in one scan, and its
// numbers are the API's: both messages, every status and language, and
// only sent messages in the sends over time.
func TestReportCountsAreTheAPIs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.moreJournalists(30)
	id, public := b.publishedRelease("counted")
	var embargoed int64
	if err := b.db.Get(&embargoed, `INSERT INTO dispatches (release_id, variant, status) VALUES ($1, 'embargoed', 'done') RETURNING id`, id); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	b.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, email, languages[1], CASE WHEN id % 3 = 0 THEN 'queued' WHEN id % 5 = 0 THEN 'bounced' ELSE 'sent' END,
			CASE WHEN id % 3 <> 0 THEN $2::timestamptz + (id % 7) * interval '1 second' END
		FROM contacts WHERE kind = 'journalist'`, public, start)
	b.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, email, 'fr', 'sent', $2::timestamptz - interval '3 seconds' FROM contacts WHERE kind = 'mission'`, embargoed, start)
	ctx := context.Background()
	want, err := releases.GetReport(ctx, b.db, id)
	if err != nil {
		t.Fatal(err)
	}
	v := &relView{page: &page{Lang: "en", values: map[string]string{}}, loc: time.UTC}
	got, sends, err := b.h.reportCounts(ctx, id, v)
	if err != nil {
		t.Fatal(err)
	}
	got.Messages = want.Messages
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the page counts %+v, the API %+v", got, want)
	}
	if want.ByVariant["embargoed"] == 0 || want.ByStatus["queued"] == 0 || want.ByStatus["bounced"] == 0 || len(want.ByLanguage) < 2 {
		t.Fatalf("the release's deliveries are not varied enough: %+v", want)
	}
	// Columns of 1 s from 3 s before start to 6 s after; every sent
	// message in one of them, and nothing else.
	total := 0
	for _, c := range sends.Columns {
		_, n, _ := strings.Cut(c.Label, ": ")
		k, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("column %q", c.Label)
		}
		total += k
	}
	if total != want.ByStatus["sent"] || sends.Step != "1s" {
		t.Errorf("the sends over time count %d in spans of %s, want %d sent in spans of 1s", total, sends.Step, want.ByStatus["sent"])
	}
}
