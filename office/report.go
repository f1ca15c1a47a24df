package office

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/tracking"
	"github.com/communique/communique/users"
)

// reportView is a release's report: its deliveries counted and drawn,
// and a page of them with the filters that chose it.
type reportView struct {
	*relView
	Rep                  *releases.Report
	ByStatus, ByLanguage chart
	Sends                *timeChart
	Rows                 []releases.Delivery
	Filter               releases.DeliveryFilter
	NextURL, CSVURL      string
	Statuses, Variants   []string
	Languages            []string
}

// releaseVariants are the messages of a release, in the order they go.
var releaseVariants = []string{"embargoed", "public", "embargo_changed", "correction", "recall"}

// report shows release id's report.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ctx := r.Context()
	v := h.relView(r, "report_title")
	rv := &reportView{relView: v, Statuses: deliveryStatuses, Variants: releaseVariants}
	if v.Rel, err = releases.Get(ctx, h.cfg.DB, id); err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.ReleaseID = id
	f, ok := rv.readFilter(r.URL.Query())
	rv.Filter = f
	status := http.StatusOK
	if !ok {
		status = http.StatusBadRequest
	}
	// The deliveries are counted in one scan, which also counts the sends
	// over time; the page of deliveries and the test messages are read
	// meanwhile on connections of their own. One scan of a big release's
	// deliveries is most of the page's time: a second would double it.
	var wg sync.WaitGroup
	var repErr, msgErr, rowsErr, engErr error
	var next int64
	var messages map[string]map[string]int
	var engagement *tracking.Counts
	wg.Go(func() { rv.Rep, rv.Sends, repErr = h.reportCounts(ctx, id, v) })
	wg.Go(func() {
		messages, msgErr = mailqueue.ReleaseCounts(ctx, h.cfg.DB, id)
		if msgErr == nil {
			engagement, engErr = tracking.ReleaseCounts(ctx, h.cfg.DB, id)
		}
	})
	if ok {
		f.Limit = 50
		wg.Go(func() { rv.Rows, next, rowsErr = releases.Deliveries(ctx, h.cfg.DB, id, f) })
	}
	wg.Wait()
	if err := errors.Join(repErr, msgErr, rowsErr, engErr); err != nil {
		h.relFailed(w, r, err)
		return
	}
	rv.Rep.Messages, rv.Rep.Engagement = messages, engagement
	rv.Languages = v.Sorted(rv.Rep.ByLanguage)
	rv.ByStatus = v.barChart(rv.Rep.ByStatus, deliveryStatuses, func(s string) string { return v.T("dstatus_" + s) }, statusColour)
	rv.ByLanguage = v.barChart(rv.Rep.ByLanguage, rv.Languages, v.LangLabel, func(string) string { return "#0b5cad" })
	if next != 0 {
		q := filterQuery(f)
		q.Set("after", strconv.FormatInt(next, 10))
		rv.NextURL = fmt.Sprintf("/office/releases/%d/report?%s#deliveries", id, q.Encode())
	}
	rv.CSVURL = fmt.Sprintf("/office/releases/%d/deliveries.csv", id)
	if q := filterQuery(f).Encode(); q != "" {
		rv.CSVURL += "?" + q
	}
	h.renderMore(w, r, status, "report", v, rv)
}

// readFilter reads the deliveries' filters from a query, each refused
// value a problem next to its field.
func (rv *reportView) readFilter(q url.Values) (releases.DeliveryFilter, bool) {
	f := releases.DeliveryFilter{Status: q.Get("status"), Language: q.Get("language"), Variant: q.Get("variant")}
	ok := true
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		rv.problem("status", "col_status", rv.T("err_choice"))
		f.Status, ok = "", false
	}
	if f.Variant != "" && !slices.Contains(releaseVariants, f.Variant) {
		rv.problem("variant", "report_variant", rv.T("err_choice"))
		f.Variant, ok = "", false
	}
	if len(f.Language) > 35 {
		rv.problem("language", "report_language", rv.T("err_choice"))
		f.Language, ok = "", false
	}
	if f.AfterID = rv.afterID(q); rv.Err("after") != "" {
		ok = false
	}
	return f, ok
}

// filterQuery is the query that selects f's deliveries, without paging.
func filterQuery(f releases.DeliveryFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "language": f.Language, "variant": f.Variant} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// VariantName names a message of a release.
func (v *reportView) VariantName(s string) string { return v.T("variant_" + s) }

// DStatus names a delivery status.
func (v *reportView) DStatus(s string) string { return v.T("dstatus_" + s) }

// deliveriesCSV downloads the report's deliveries, filtered as the page
// was, a thousand rows per query.
func (h *Handler) deliveriesCSV(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ctx := r.Context()
	rv := &reportView{relView: h.relView(r, "report_title")}
	f, ok := rv.readFilter(r.URL.Query())
	if !ok {
		pg := h.newPage(r, "error_title")
		pg.Body = rv.problems[0].Label + rv.T("colon") + " " + rv.problems[0].Text
		h.render(w, r, http.StatusBadRequest, "message", pg)
		return
	}
	f.Limit = 1000
	// The first page is read before answering, so that an unknown release
	// is a 404 rather than an empty file.
	page, next, err := releases.Deliveries(ctx, h.cfg.DB, id, f)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="release-%d-deliveries.csv"`, id))
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "email", "language", "variant", "status", "attempts", "smtp_code", "smtp_reply", "queued_at", "sent_at"})
	for {
		for _, d := range page {
			code, sent := "", ""
			if d.SMTPCode != nil {
				code = strconv.Itoa(*d.SMTPCode)
			}
			if d.SentAt != nil {
				sent = d.SentAt.UTC().Format(time.RFC3339)
			}
			cw.Write([]string{strconv.FormatInt(d.ID, 10), cell(d.Email), d.Language, d.Variant, d.Status,
				strconv.Itoa(d.Attempts), code, cell(d.SMTPReply), d.QueuedAt.UTC().Format(time.RFC3339), sent})
		}
		if next == 0 {
			break
		}
		f.AfterID = next
		if page, next, err = releases.Deliveries(ctx, h.cfg.DB, id, f); err != nil {
			// Headers are gone: all that is left is to stop short and say why.
			h.log.Error("deliveries csv", "release_id", id, "error", err)
			break
		}
	}
	cw.Flush()
}

// cell keeps a spreadsheet from running a cell as a formula: an address
// or a remote server's reply is text, however it starts.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reportCounts counts release id's deliveries as releases.GetReport
// does, and its sent messages in at most 60 equal spans between the first
// and the last, in one scan. The scan counts sends by second; the spans
// are added up here, since a release rarely takes more than a few
// thousand seconds to send. Seconds are binned, not truncated: date_trunc
// of a timestamptz goes through the session's time zone for every row.
func (h *Handler) reportCounts(ctx context.Context, id int64, v *relView) (*releases.Report, *timeChart, error) {
	var rows []struct {
		Variant  string     `db:"variant"`
		Status   string     `db:"status"`
		Language string     `db:"language"`
		Second   *time.Time `db:"s"`
		N        int        `db:"n"`
	}
	if err := h.cfg.DB.SelectContext(ctx, &rows, `
		SELECT s.variant, c.status, c.language, c.s, c.n
		FROM (SELECT d.dispatch_id, d.status, d.language,
				CASE WHEN d.status = 'sent' THEN date_bin('1 second', d.sent_at, timestamptz '2000-01-01 00:00:00+00') END AS s,
				count(*) AS n
			FROM deliveries d
			WHERE d.dispatch_id = ANY (ARRAY(SELECT id FROM dispatches WHERE release_id = $1))
			GROUP BY 1, 2, 3, 4) c
		JOIN dispatches s ON s.id = c.dispatch_id
		ORDER BY c.s`, id); err != nil {
		return nil, nil, fmt.Errorf("report of release %d: %w", id, err)
	}
	rep := &releases.Report{ByStatus: map[string]int{}, ByLanguage: map[string]int{}, ByVariant: map[string]int{}}
	var sends []time.Time
	var perSecond []int
	for _, r := range rows {
		rep.Total += r.N
		rep.ByStatus[r.Status] += r.N
		rep.ByLanguage[r.Language] += r.N
		rep.ByVariant[r.Variant] += r.N
		if r.Second == nil {
			continue
		}
		// Ordered by second: the same second comes in a row, once per
		// status, language and message.
		if n := len(sends); n > 0 && sends[n-1].Equal(*r.Second) {
			perSecond[n-1] += r.N
			continue
		}
		sends, perSecond = append(sends, *r.Second), append(perSecond, r.N)
	}
	if len(sends) == 0 {
		return rep, nil, nil
	}
	first, last := sends[0], sends[len(sends)-1]
	step := spanStep(last.Sub(first))
	counts := make([]int, int(last.Sub(first)/step)+1)
	for i, s := range sends {
		counts[int(s.Sub(first)/step)] += perSecond[i]
	}
	return rep, v.drawTime(first.UTC(), step, counts), nil
}

// spanSteps are the spans the sends are counted in, the shortest that
// makes at most 60 of them.
var spanSteps = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

func spanStep(span time.Duration) time.Duration {
	for _, s := range spanSteps {
		if span/s < 60 {
			return s
		}
	}
	days := span/(60*24*time.Hour) + 1
	return days * 24 * time.Hour
}
