package tracking

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/links"
)

// Opens and clicks are counted only for releases that ask (see
// releases.Tracking). A message's pixel and click addresses carry signed
// tokens: the pixel's names the delivery, a click's the delivery and the
// link's target, so a click address cannot be turned into a redirect to
// anywhere else, and neither can be made for a delivery without the
// secret. What is kept is the delivery, the times and the counts: no
// client address, no user agent.

const (
	openPurpose  = "open"
	clickPurpose = "click:" // followed by the target
)

// OpenURL is the address of delivery's pixel under base (the service's
// public URL).
func OpenURL(base string, s *links.Signer, delivery int64) string {
	return base + "/t/o/" + s.Token(openPurpose, delivery, time.Time{}) + ".gif"
}

// ClickURL is the address that counts delivery's click on target and then
// leads there.
func ClickURL(base string, s *links.Signer, delivery int64, target string) string {
	return base + "/t/c/" + s.Token(clickPurpose+target, delivery, time.Time{}) + "?u=" + url.QueryEscape(target)
}

// pixelGIF is a transparent 1×1 GIF.
var pixelGIF, _ = base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

// Engagement serves the pixel (GET /t/o/{token}.gif) and the click
// addresses (GET /t/c/{token}?u=) and counts them. Each request is
// answered before it is counted, with one statement, so a slow database
// never slows a reader; a HEAD request (link checkers, prefetchers) and
// a client over its rate are answered and not counted.
type Engagement struct {
	DB     *sqlx.DB
	Signer *links.Signer
	Logger *slog.Logger
	// Allow, when set, says whether a request's client may be counted
	// now; the caller's rate limit per client network.
	Allow func(*http.Request) bool
	// Now is the clock the tokens are checked at; time.Now when nil.
	Now func() time.Time

	slots chan struct{}
}

// recordTimeout bounds the write of one count.
const recordTimeout = 2 * time.Second

// maxRecording is how many counts are written at once; past it a flood
// is answered and not counted rather than queued on the database.
const maxRecording = 16

// NewEngagement returns the handler of the pixel and the click addresses.
func NewEngagement(db *sqlx.DB, s *links.Signer, log *slog.Logger) *Engagement {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engagement{DB: db, Signer: s, Logger: log, slots: make(chan struct{}, maxRecording)}
}

func (e *Engagement) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Open answers the pixel and counts the open of a delivery with a valid
// token. An invalid token gets the same image: a pixel is no place for
// an error, and the answer tells nothing about the token.
func (e *Engagement) Open(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSuffix(r.PathValue("token"), ".gif")
	delivery, err := e.Signer.Verify(openPurpose, token, e.now())
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Content-Length", fmt.Sprint(len(pixelGIF)))
	h.Set("Cache-Control", "no-store, max-age=0")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(pixelGIF)
	}
	if err != nil || !e.counts(w, r) {
		return
	}
	e.record(r.Context(), "open", delivery, `
		INSERT INTO engagement (delivery_id, opens, first_open_at, last_open_at)
		SELECT id, 1, now(), now() FROM deliveries WHERE id = $1
		ON CONFLICT (delivery_id) DO UPDATE SET opens = engagement.opens + 1,
			first_open_at = coalesce(engagement.first_open_at, now()), last_open_at = now()`, delivery)
}

// Click sends the reader on to the link's target and counts the click. A
// token that does not bind this delivery to this very target (forged,
// altered, or another link's) gets a 400 page, never a redirect.
func (e *Engagement) Click(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("u")
	delivery, err := e.Signer.Verify(clickPurpose+target, r.PathValue("token"), e.now())
	if err != nil || !safeTarget(target) {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, "This link is not valid: it may have been cut or changed. Open the message again and follow the link from there.")
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
	if !e.counts(w, r) {
		return
	}
	e.record(r.Context(), "click", delivery, `
		WITH e AS (
			INSERT INTO engagement (delivery_id, clicks, first_click_at, last_click_at)
			SELECT id, 1, now(), now() FROM deliveries WHERE id = $1
			ON CONFLICT (delivery_id) DO UPDATE SET clicks = engagement.clicks + 1,
				first_click_at = coalesce(engagement.first_click_at, now()), last_click_at = now()
			RETURNING delivery_id)
		INSERT INTO engagement_links (delivery_id, url, clicks)
		SELECT delivery_id, $2, 1 FROM e
		ON CONFLICT (delivery_id, url) DO UPDATE SET clicks = engagement_links.clicks + 1, last_at = now()`,
		delivery, target)
}

// safeTarget accepts only the absolute http(s) URLs messages link to: a
// valid token for anything else cannot exist, but a redirect is checked
// all the same.
func safeTarget(target string) bool {
	u, err := url.Parse(target)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// counts reports whether the request is to be counted, having flushed the
// answer so the reader waits for nothing more.
func (e *Engagement) counts(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodHead {
		return false
	}
	if e.Allow != nil && !e.Allow(r) {
		return false
	}
	http.NewResponseController(w).Flush() // through any wrapper; an error only means no flushing
	return true
}

// record runs one counting statement, unless maxRecording are running.
func (e *Engagement) record(ctx context.Context, what string, delivery int64, query string, args ...any) {
	if e.slots != nil {
		select {
		case e.slots <- struct{}{}:
			defer func() { <-e.slots }()
		default:
			e.Logger.Warn("engagement not counted: too many at once", "kind", what, "delivery_id", delivery)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := e.DB.ExecContext(ctx, query, args...); err != nil {
		e.Logger.Warn("engagement not counted", "kind", what, "delivery_id", delivery, "error", err)
	}
}

// Counts are a release's opens and clicks, counted per delivery.
type Counts struct {
	// Opens and Clicks say what the release tracks.
	Opens  bool `json:"opens"`
	Clicks bool `json:"clicks"`
	// Opened counts the deliveries whose pixel was fetched or a link of
	// which was followed (a click proves the message was opened, whether
	// or not it showed its images); Clicked those with a link followed.
	Opened  int `json:"opened"`
	Clicked int `json:"clicked"`
	// Links are the links followed, most followed first: by how many
	// deliveries, and how many times in all.
	Links []LinkCount `json:"links,omitempty"`
}

// LinkCount is one link's clicks.
type LinkCount struct {
	URL     string `json:"url" db:"url"`
	Clicked int    `json:"clicked" db:"clicked"`
	Clicks  int    `json:"clicks" db:"clicks"`
}

// maxReportLinks bounds the links a report lists.
const maxReportLinks = 50

// ReleaseCounts returns the opens and clicks of release id's deliveries
// (every dispatch: embargoed notice, public version, corrections), or
// nil when the release tracks neither.
func ReleaseCounts(ctx context.Context, q sqlx.QueryerContext, id int64) (*Counts, error) {
	var c Counts
	if err := sqlx.GetContext(ctx, q, &c, `
		SELECT r.track_opens AS opens, r.track_clicks AS clicks,
			(SELECT count(*) FROM engagement e JOIN deliveries d ON d.id = e.delivery_id
				JOIN dispatches x ON x.id = d.dispatch_id
			 WHERE x.release_id = r.id AND (e.opens > 0 OR e.clicks > 0)) AS opened,
			(SELECT count(*) FROM engagement e JOIN deliveries d ON d.id = e.delivery_id
				JOIN dispatches x ON x.id = d.dispatch_id
			 WHERE x.release_id = r.id AND e.clicks > 0) AS clicked
		FROM releases r WHERE r.id = $1`, id); err != nil {
		return nil, fmt.Errorf("engagement of release %d: %w", id, err)
	}
	if !c.Opens && !c.Clicks {
		return nil, nil
	}
	if c.Clicks {
		if err := sqlx.SelectContext(ctx, q, &c.Links, `
			SELECT l.url, count(*) AS clicked, sum(l.clicks) AS clicks
			FROM engagement_links l JOIN deliveries d ON d.id = l.delivery_id
				JOIN dispatches x ON x.id = d.dispatch_id
			WHERE x.release_id = $1
			GROUP BY l.url ORDER BY clicked DESC, clicks DESC, l.url LIMIT $2`, id, maxReportLinks); err != nil {
			return nil, fmt.Errorf("links of release %d: %w", id, err)
		}
	}
	return &c, nil
}

// Engaged is an open or click entry of a delivery's timeline: when it
// first happened, how many times, and when last.
type Engaged struct {
	Count int       `json:"count"`
	Last  time.Time `json:"last_at"`
	URL   string    `json:"url,omitempty"` // a click's link
}

// withEngagement adds delivery id's opens and clicks (the first of each
// kind, and each link's first click) to its timeline, then sorts it by
// time, stably: on a tie, tl's order comes first.
func withEngagement(ctx context.Context, q sqlx.QueryerContext, id int64, tl []TimelineEvent) ([]TimelineEvent, error) {
	var rows []struct {
		Type  string    `db:"type"`
		At    time.Time `db:"at"`
		Last  time.Time `db:"last_at"`
		Count int       `db:"count"`
		URL   string    `db:"url"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT 'open' AS type, first_open_at AS at, last_open_at AS last_at, opens AS count, '' AS url
		FROM engagement WHERE delivery_id = $1 AND opens > 0
		UNION ALL
		SELECT 'click', first_at, last_at, clicks, url FROM engagement_links WHERE delivery_id = $1`, id); err != nil {
		return nil, fmt.Errorf("engagement of delivery %d: %w", id, err)
	}
	for _, r := range rows {
		tl = append(tl, TimelineEvent{At: r.At, Type: r.Type, Engaged: &Engaged{Count: r.Count, Last: r.Last, URL: r.URL}})
	}
	slices.SortStableFunc(tl, func(a, b TimelineEvent) int { return a.At.Compare(b.At) })
	return tl, nil
}
