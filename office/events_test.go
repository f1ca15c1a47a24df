package office

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// publishedRelease publishes a release to the test contacts and returns
// its id and its public dispatch, which has no delivery yet.
func (b *bundle) publishedRelease(slug string) (int64, int64) {
	b.t.Helper()
	ctx := context.Background()
	lc := &releases.Lifecycle{DB: b.db}
	d := &releases.Draft{Release: releases.Release{Slug: slug, OriginalLanguage: "fr",
		Translations:  map[string]releases.Translation{"fr": {Title: "Titre"}, "en": {Title: "Title"}},
		Countries:     []string{"MR"},
		PressContacts: []string{"press@example.org"}}}
	id, err := lc.Create(ctx, d, "user:po@example.org")
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := lc.Publish(ctx, id, "user:po@example.org", releases.PublishOptions{}); err != nil {
		b.t.Fatal(err)
	}
	var dispatch int64
	if err := b.db.Get(&dispatch, `SELECT id FROM dispatches WHERE release_id = $1 AND variant = 'public'`, id); err != nil {
		b.t.Fatal(err)
	}
	return id, dispatch
}

// events reads a live view's events as they come.
func readEvents(t *testing.T, res *http.Response) <-chan liveState {
	out := make(chan liveState, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var s liveState
			if err := json.Unmarshal([]byte(data), &s); err != nil {
				t.Errorf("event %q: %v", data, err)
				return
			}
			out <- s
		}
	}()
	return out
}

func nextEvent(t *testing.T, ch <-chan liveState, what string, ok func(liveState) bool) liveState {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s, open := <-ch:
			if !open {
				t.Fatalf("%s: the stream ended", what)
			}
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("%s: no such event in 10 s", what)
		}
	}
}

func TestLiveViewFollowsADispatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("viewer@example.org", users.Viewer, pw)
	id, dispatch := b.publishedRelease("live-view")
	br := b.browser()
	br.signIn("viewer@example.org", pw)

	// Without scripts the page shows where the delivery stands.
	wantStatus(t, "the page", br.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, "Public release", `data-events="/office/releases/`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/office/releases/%d/events", b.url, id), nil)
	res, err := br.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := readEvents(t, res)
	first := nextEvent(t, ch, "the first state", func(liveState) bool { return true })
	if first.Status != releases.StatusPublished || len(first.Dispatches) != 1 || first.Dispatches[0].Total != 0 {
		t.Fatalf("first state: %+v", first)
	}

	b.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language)
		SELECT $1, id, email, languages[1] FROM contacts WHERE kind = 'journalist'`, dispatch)
	queued := nextEvent(t, ch, "queued", func(s liveState) bool { return s.Dispatches[0].Total == 3 })
	if queued.Dispatches[0].ByStatus["queued"] != 3 || queued.Dispatches[0].Percent != 0 || queued.Dispatches[0].ByLanguage["fr"] != 2 {
		t.Errorf("queued: %+v", queued.Dispatches[0])
	}
	b.db.MustExec(`UPDATE deliveries SET status = 'sent', sent_at = now() WHERE email = 'john@example.com'`)
	nextEvent(t, ch, "a third sent", func(s liveState) bool { return s.Dispatches[0].Percent == 33 })
	b.db.MustExec(`UPDATE deliveries SET status = 'sent', sent_at = now()`)
	b.db.MustExec(`UPDATE dispatches SET status = 'done' WHERE id = $1`, dispatch)
	done := nextEvent(t, ch, "all sent", func(s liveState) bool { return s.Finished })
	if done.Dispatches[0].Percent != 100 || done.Dispatches[0].ByStatus["sent"] != 3 {
		t.Errorf("done: %+v", done.Dispatches[0])
	}
	// A reload starts again from the database.
	wantStatus(t, "the page again", br.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, "100%")
}

// The stream ends when its client goes away, and on shutdown.
func TestLiveViewEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	u := b.user("viewer@example.org", users.Viewer, pw)
	id, _ := b.publishedRelease("live-ends")
	stream := func(ctx context.Context) (*httptest.ResponseRecorder, chan struct{}) {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/office/releases/x/events", nil)
		req.SetPathValue("id", strconv.FormatInt(id, 10))
		rec := httptest.NewRecorder()
		ended := make(chan struct{})
		go func() {
			b.h.releaseEvents(rec, req, u)
			close(ended)
		}()
		return rec, ended
	}
	wait := func(what string, ended chan struct{}) {
		t.Helper()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the stream goes on", what)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, ended := stream(ctx)
	time.Sleep(2 * livePoll)
	select {
	case <-ended:
		t.Fatal("the stream ended by itself")
	default:
	}
	cancel()
	wait("client gone", ended)

	_, ended = stream(context.Background())
	time.Sleep(livePoll)
	b.h.EndStreams()
	wait("shutdown", ended)
	b.h.EndStreams() // twice is fine
}
