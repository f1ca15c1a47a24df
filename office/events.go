package office

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// streams ends the live delivery views when the server shuts down: an
// open event stream never goes idle, and would hold Shutdown until its
// deadline.
type streams struct {
	once sync.Once
	done chan struct{}
}

func newStreams() *streams { return &streams{done: make(chan struct{})} }

// EndStreams ends every live delivery view now and refuses new ones.
// Register it with http.Server.RegisterOnShutdown; calling it again does
// nothing.
func (h *Handler) EndStreams() {
	h.streams.once.Do(func() { close(h.streams.done) })
}

// How often the live view reads the database, and how often it speaks
// when nothing changes, so that proxies keep the connection open.
var (
	livePoll      = 500 * time.Millisecond
	liveKeepAlive = 15 * time.Second
)

// liveState is what the live delivery view shows, as its events carry it.
type liveState struct {
	Status       string         `json:"status"`
	EmbargoUntil *time.Time     `json:"embargo_until,omitempty"`
	Finished     bool           `json:"finished"`
	Dispatches   []liveDispatch `json:"dispatches"`
}

// liveDispatch is one dispatch's progress; Percent counts the deliveries
// no longer waiting to be tried.
type liveDispatch struct {
	Variant    string         `json:"variant"`
	Revision   int            `json:"revision"`
	Done       bool           `json:"done"`
	Total      int            `json:"total"`
	Percent    int            `json:"percent"`
	ByStatus   map[string]int `json:"by_status"`
	ByLanguage map[string]int `json:"by_language"`
}

func stateOf(p *releases.Progress) liveState {
	s := liveState{Status: p.Status, EmbargoUntil: p.EmbargoUntil, Finished: p.Finished(), Dispatches: []liveDispatch{}}
	for _, d := range p.Dispatches {
		ld := liveDispatch{Variant: d.Variant, Revision: d.Revision, Done: d.Done, Total: d.Total,
			ByStatus: d.ByStatus, ByLanguage: d.ByLanguage}
		ld.Percent = percentDone(d.Report)
		s.Dispatches = append(s.Dispatches, ld)
	}
	return s
}

// percentDone is the share of deliveries that have left the queue.
func percentDone(r releases.Report) int {
	if r.Total == 0 {
		return 0
	}
	waiting := r.ByStatus["queued"] + r.ByStatus["deferred"]
	return (r.Total - waiting) * 100 / r.Total
}

// Percent is percentDone for the templates.
func (v *relView) Percent(d releases.DispatchProgress) int { return percentDone(d.Report) }

// releaseEvents streams a release's delivery progress as server-sent
// events: the state at once, then each change, read from the database at
// most twice a second. It ends when the client goes away or the server
// shuts down; a client that reconnects starts again from the database.
func (h *Handler) releaseEvents(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ctx := r.Context()
	p, err := releases.GetProgress(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var last []byte
	quiet := time.Now()
	send := func(p *releases.Progress) bool {
		b, err := json.Marshal(stateOf(p))
		if err != nil {
			h.log.Error("live view state", "release_id", id, "error", err)
			return false
		}
		var msg []byte
		switch {
		case !bytes.Equal(b, last):
			msg = fmt.Appendf(nil, "event: progress\ndata: %s\n\n", b)
			last = b
		case time.Since(quiet) >= liveKeepAlive:
			msg = []byte(": keep-alive\n\n")
		default:
			return true
		}
		quiet = time.Now()
		// The server's write timeout is for pages; a stream writes a little
		// at a time for as long as it is watched.
		rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := w.Write(msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(p) {
		return
	}
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.streams.done:
			return
		case <-tick.C:
		}
		p, err := releases.GetProgress(ctx, h.cfg.DB, id)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live view stopped", "release_id", id, "error", err)
			}
			return
		}
		if !send(p) {
			return
		}
	}
}

// deliveryStatuses are the states a delivery goes through.
var deliveryStatuses = []string{"queued", "sent", "deferred", "failed", "bounced", "complained", "suppressed", "cancelled"}

// LiveLabels are the live view's texts in the page's language, for the
// script that redraws it.
func (v *relView) LiveLabels() string {
	m := map[string]string{"none": v.T("live_none"), "total": v.T("live_total")}
	for _, s := range deliveryStatuses {
		m["dstatus_"+s] = v.T("dstatus_" + s)
	}
	for _, s := range append(previewMessages, "embargo_changed") {
		m["variant_"+s] = v.T("variant_" + s)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
