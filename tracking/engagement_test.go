package tracking

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres/pgtest"
)

// engaged serves the pixel and the click addresses over a fixture whose
// release tracks opens and clicks.
type engaged struct {
	*fixture
	srv     *httptest.Server
	allowed atomic.Bool
	client  *http.Client
}

func setupEngagement(t *testing.T) *engaged {
	t.Helper()
	e := &engaged{fixture: setup(t)}
	e.allowed.Store(true)
	if _, err := e.db.Exec(`UPDATE releases SET track_opens = true, track_clicks = true WHERE id = $1`, e.release); err != nil {
		t.Fatal(err)
	}
	h := NewEngagement(e.db, e.signer, nil)
	h.Allow = func(*http.Request) bool { return e.allowed.Load() }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/o/{token}", h.Open)
	mux.HandleFunc("GET /t/c/{token}", h.Click)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *engaged) get(method, u string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// counts is "opens/clicks" of a delivery, counted after the answer: it
// waits for the count a request makes once it has been answered.
func (e *engaged) counts(d int64, want string) {
	e.t.Helper()
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = e.str(`SELECT coalesce((SELECT opens || '/' || clicks FROM engagement WHERE delivery_id = $1), '0/0')`, d)
		if got == want {
			return
		}
	}
	e.t.Fatalf("delivery %d: opens/clicks %s, want %s", d, got, want)
}

func TestPixelCountsOpens(t *testing.T) {
	e := setupEngagement(t)
	d1, _ := e.delivery("one@example.com")
	d2, _ := e.delivery("two@example.com")
	pixel := OpenURL(e.srv.URL, e.signer, d1)

	resp, body := e.get("GET", pixel)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" || !bytes.Equal(body, pixelGIF) ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("pixel: %d %q %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(body))
	}
	e.counts(d1, "1/0")
	e.get("GET", pixel)
	e.counts(d1, "2/0")

	// A HEAD (a link checker) and a client over its rate are answered and not counted.
	if resp, _ := e.get("HEAD", pixel); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	e.allowed.Store(false)
	e.get("GET", pixel)
	e.allowed.Store(true)
	// Forged tokens get the image and count nothing: another delivery's
	// token altered, a click token used as a pixel, another secret's.
	tok := strings.TrimSuffix(pixel[strings.LastIndex(pixel, "/")+1:], ".gif")
	forged := []string{
		e.srv.URL + "/t/o/" + tok[:len(tok)-2] + "AA.gif",
		e.srv.URL + "/t/o/x.gif",
		e.srv.URL + "/t/o/" + e.signer.Token("click:https://example.org/", d2, zeroTime) + ".gif",
		OpenURL(e.srv.URL, links.NewSigner("another secret, also 32 bytes long"), d2),
	}
	for _, u := range forged {
		if resp, body := e.get("GET", u); resp.StatusCode != 200 || !bytes.Equal(body, pixelGIF) {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	e.get("GET", pixel) // the last request, so counts can wait for it
	e.counts(d1, "3/0")
	e.counts(d2, "0/0")
	first, last := e.str(`SELECT first_open_at::text FROM engagement WHERE delivery_id = $1`, d1),
		e.str(`SELECT last_open_at::text FROM engagement WHERE delivery_id = $1`, d1)
	if first >= last {
		t.Errorf("first open %s, last %s", first, last)
	}
}

func TestClickRedirectsAndCounts(t *testing.T) {
	e := setupEngagement(t)
	d1, _ := e.delivery("one@example.com")
	d2, _ := e.delivery("two@example.com")
	target := "https://www.example.org/en/agreement?a=1&b=%C3%A9#part"
	click := ClickURL(e.srv.URL, e.signer, d1, target)

	for range 2 {
		resp, _ := e.get("GET", click)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != target {
			t.Fatalf("click: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	e.get("GET", ClickURL(e.srv.URL, e.signer, d1, "https://news.example.org/releases/x?lang=en"))
	e.counts(d1, "0/3")

	// No token leads anywhere but to its own target: another target, the
	// target changed, the token altered or cut, no target, a pixel token,
	// a token for another delivery's... none redirects, none counts.
	u, _ := url.Parse(click)
	tok := strings.TrimPrefix(u.Path, "/t/c/")
	bad := map[string]string{
		"another target":  e.srv.URL + "/t/c/" + tok + "?u=" + url.QueryEscape("https://evil.example/"),
		"target changed":  e.srv.URL + "/t/c/" + tok + "?u=" + url.QueryEscape(target+"x"),
		"token altered":   e.srv.URL + "/t/c/" + tok[:len(tok)-1] + "A" + "?u=" + url.QueryEscape(target),
		"token cut":       e.srv.URL + "/t/c/" + tok[:10] + "?u=" + url.QueryEscape(target),
		"no target":       e.srv.URL + "/t/c/" + tok,
		"pixel token":     e.srv.URL + "/t/c/" + e.signer.Token("open", d1, zeroTime) + "?u=" + url.QueryEscape(target),
		"javascript":      ClickURL(e.srv.URL, e.signer, d2, "javascript:alert(1)"),
		"scheme-relative": ClickURL(e.srv.URL, e.signer, d2, "//evil.example/"),
	}
	for name, u := range bad {
		resp, body := e.get("GET", u)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d, Location %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
		if !strings.Contains(string(body), "not valid") {
			t.Errorf("%s: body %q", name, body)
		}
	}
	// HEAD redirects without counting.
	if resp, _ := e.get("HEAD", click); resp.StatusCode != http.StatusFound {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	e.get("GET", click)
	e.counts(d1, "0/4")
	e.counts(d2, "0/0")

	rows := e.str(`SELECT string_agg(url || '=' || clicks, ' ' ORDER BY url) FROM engagement_links WHERE delivery_id = $1`, d1)
	if want := "https://news.example.org/releases/x?lang=en=1 " + target + "=3"; rows != want {
		t.Fatalf("links %q, want %q", rows, want)
	}

	// The release's counts and the delivery's timeline show them.
	e.get("GET", OpenURL(e.srv.URL, e.signer, d2))
	e.counts(d2, "1/0")
	c, err := ReleaseCounts(context.Background(), e.db, e.release)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %v opened %d clicked %d links %v", c.Opens, c.Clicks, c.Opened, c.Clicked, c.Links); got !=
		"true true opened 2 clicked 1 links [{"+target+" 1 3} {https://news.example.org/releases/x?lang=en 1 1}]" {
		t.Fatalf("counts: %s", got)
	}
	dl, err := GetDelivery(context.Background(), e.db, d1)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range dl.Timeline {
		if ev.Engaged != nil {
			kinds = append(kinds, fmt.Sprintf("%s %d %s", ev.Type, ev.Engaged.Count, ev.Engaged.URL))
		}
	}
	if got := strings.Join(kinds, ", "); got != "click 3 "+target+", click 1 https://news.example.org/releases/x?lang=en" {
		t.Fatalf("timeline: %s", got)
	}

	// A release that tracks nothing has no counts.
	e.db.Exec(`UPDATE releases SET track_opens = false, track_clicks = false WHERE id = $1`, e.release)
	if c, err := ReleaseCounts(context.Background(), e.db, e.release); err != nil || c != nil {
		t.Fatalf("untracked release: %v, %v", c, err)
	}
}

// A delivery's timeline is in time order whatever order its parts were
// stored in, an attempt before what came back about it at the same
// instant, and its opens among them.
func TestDeliveryTimelineInTimeOrder(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id, _ := f.delivery("awa@example.com")
	// The later inbound message is stored first: ids are not times.
	pgtest.Exec(t, f.db, `INSERT INTO inbound (delivery_id, kind, received_at) VALUES ($1, 'soft', '2026-01-01 10:05Z')`, id)
	pgtest.Exec(t, f.db, `INSERT INTO inbound (delivery_id, kind, received_at) VALUES ($1, 'delayed', '2026-01-01 10:01Z')`, id)
	pgtest.Exec(t, f.db, `INSERT INTO delivery_retries (delivery_id, attempt, at, status) VALUES
		($1, 2, '2026-01-01 10:05Z', 'sent'), ($1, 1, '2026-01-01 10:00Z', 'deferred')`, id)
	timeline := func() string {
		t.Helper()
		dl, err := GetDelivery(context.Background(), f.db, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range dl.Timeline {
			s := ev.At.UTC().Format("15:04") + " " + ev.Type
			switch {
			case ev.Attempt != nil:
				s += " " + ev.Attempt.Status
			case ev.Inbound != nil:
				s += " " + ev.Inbound.Kind
			}
			got = append(got, s)
		}
		return strings.Join(got, ", ")
	}
	if got, want := timeline(), "10:00 attempt deferred, 10:01 inbound delayed, 10:05 attempt sent, 10:05 inbound soft"; got != want {
		t.Fatalf("timeline:\n got %s\nwant %s", got, want)
	}
	pgtest.Exec(t, f.db, `INSERT INTO engagement (delivery_id, opens, first_open_at, last_open_at)
		VALUES ($1, 2, '2026-01-01 10:03Z', '2026-01-01 10:04Z')`, id)
	if got, want := timeline(), "10:00 attempt deferred, 10:01 inbound delayed, 10:03 open, 10:05 attempt sent, 10:05 inbound soft"; got != want {
		t.Fatalf("timeline with an open:\n got %s\nwant %s", got, want)
	}
}
