package dispatcher

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/communique/communique/events"
)

// Progress is the payload of communique.delivery.progress: a release's
// delivery counts, published at most twice a second per process while
// its deliveries change.
type Progress struct {
	Type      string         `json:"type"`
	Version   int            `json:"version"`
	ReleaseID int64          `json:"release_id"`
	Slug      string         `json:"slug"`
	Timestamp time.Time      `json:"timestamp"`
	Total     int            `json:"total"`
	ByStatus  map[string]int `json:"by_status"`
}

// progress collects the releases whose deliveries changed since the last
// report.
type progress struct {
	mu      sync.Mutex
	touched map[int64]string // release id → slug
}

func (p *progress) touch(releaseID int64, slug string) {
	p.mu.Lock()
	if p.touched == nil {
		p.touched = map[int64]string{}
	}
	p.touched[releaseID] = slug
	p.mu.Unlock()
}

func (p *progress) take() map[int64]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.touched
	p.touched = nil
	return t
}

// progressLoop publishes the counts of every touched release every 500 ms,
// or less often when counting takes long (a release of millions), so that
// reporting never keeps a database process busy more than a twentieth of
// the time.
func (d *Dispatcher) progressLoop(ctx context.Context) {
	t := time.NewTimer(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			d.publishProgress(context.WithoutCancel(ctx)) // the last counts
			return
		case <-t.C:
			start := time.Now()
			d.publishProgress(ctx)
			t.Reset(max(500*time.Millisecond, 20*time.Since(start)))
		}
	}
}

func (d *Dispatcher) publishProgress(ctx context.Context) {
	for id, slug := range d.progress.take() {
		var rows []struct {
			Status string `db:"status"`
			N      int    `db:"n"`
		}
		if err := d.cfg.DB.SelectContext(ctx, &rows, `
			SELECT d.status, count(*) AS n FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
			WHERE s.release_id = $1 GROUP BY 1`, id); err != nil {
			d.log.Warn("progress counts", "release_id", id, "error", err)
			continue
		}
		p := Progress{Type: "delivery.progress", Version: events.Version, ReleaseID: id, Slug: slug,
			Timestamp: time.Now().UTC(), ByStatus: map[string]int{}}
		for _, r := range rows {
			p.Total += r.N
			p.ByStatus[r.Status] = r.N
		}
		data, _ := json.Marshal(p)
		// Progress is a live view: a lost one is superseded by the next,
		// so it is published without waiting for an acknowledgement.
		if _, err := d.cfg.JS.PublishAsync(events.SubjectProgress, data); err != nil {
			d.log.Debug("publish progress", "release_id", id, "error", err)
		}
	}
}
