package dispatcher

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/media"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// rendered is one release rendered for one variant in every language it
// has, plus what every message of it shares.
type rendered struct {
	releaseID int64
	slug      string
	variant   string
	replyTo   string
	byLang    map[string]*templates.Prepared
	original  string
	// embargoUntil is the lift time of an embargoed notice: past it (less
	// a margin), the notice must no longer go out.
	embargoUntil time.Time
	// tracking is what the release counts of this variant's messages.
	tracking releases.Tracking
}

// prepared returns the rendering for lang, falling back to the original.
func (r *rendered) prepared(lang string) *templates.Prepared {
	if p, ok := r.byLang[lang]; ok {
		return p
	}
	return r.byLang[r.original]
}

type renderKey struct {
	dispatchID int64
	updatedAt  time.Time
	templates  string // the administrators' overrides, as changed last
	branding   int64  // the branding's version
}

// renderCache renders each (dispatch, release version) once per process,
// so per-recipient work is only the personal fields.
type renderCache struct {
	db  *sqlx.DB
	log *slog.Logger
	// baseURL starts the newsroom links of the public and correction
	// messages.
	baseURL string
	mu      sync.Mutex
	m       map[renderKey]*renderEntry
	made    atomic.Int64 // renderings made, for tests
}

type renderEntry struct {
	once sync.Once
	r    *rendered
	err  error
}

func newRenderCache(db *sqlx.DB, log *slog.Logger, baseURL string) *renderCache {
	return &renderCache{db: db, log: log, baseURL: strings.TrimRight(baseURL, "/"), m: map[renderKey]*renderEntry{}}
}

// metaSQL reads what a dispatch ($1) adds to its release, and the
// versions that tell whether a rendering is still current. The claim
// returns it with every chunk (see claimSQL), so that a correction made
// meanwhile reaches the next chunk at no extra statement.
const metaSQL = `
	SELECT s.release_id, s.variant, s.notes, s.reason, r.updated_at,
		(SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM template_overrides) AS templates,
		(SELECT coalesce(max(version), 0) FROM branding) AS branding
	FROM dispatches s JOIN releases r ON r.id = s.release_id WHERE s.id = $1`

// prerender renders dispatch dispatchID in the background while the
// planner records its first recipients, so that the first chunk finds
// its rendering ready: rendering a release in three languages took 40 to
// 90 ms, which the first message waited for after the first chunk had
// been recorded. Should it fail, the first worker to need the rendering
// renders it again.
func (d *Dispatcher) prerender(ctx context.Context, dispatchID int64) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.protect("panic while rendering ahead", func() {
			var meta dispatchMeta
			err := d.cfg.DB.GetContext(ctx, &meta, metaSQL, dispatchID)
			if err == nil {
				_, err = d.renders.get(ctx, dispatchID, meta)
			}
			if err != nil && ctx.Err() == nil {
				d.log.Debug("render ahead", "dispatch_id", dispatchID, "error", err)
			}
		}, "dispatch_id", dispatchID)
	}()
}

// get returns the rendering of dispatch dispatchID that meta, read with
// the chunk about to be sent, describes.
func (c *renderCache) get(ctx context.Context, dispatchID int64, meta dispatchMeta) (*rendered, error) {
	key := renderKey{dispatchID, meta.UpdatedAt, meta.Templates, meta.Branding}
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		if len(c.m) > 256 { // releases change rarely; a bound keeps a long-lived process flat
			c.m = map[renderKey]*renderEntry{}
		}
		e = &renderEntry{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		c.made.Add(1)
		e.r, e.err = c.render(ctx, &meta)
	})
	if e.err != nil {
		c.mu.Lock()
		delete(c.m, key) // let the next batch try again
		c.mu.Unlock()
	}
	return e.r, e.err
}

// dispatchMeta is what a dispatch adds to its release's text.
type dispatchMeta struct {
	ReleaseID int64  `db:"release_id"`
	Variant   string `db:"variant"`
	// Notes are a correction's notes by language, Reason a recall's.
	Notes     jsonNotes `db:"notes"`
	Reason    string    `db:"reason"`
	UpdatedAt time.Time `db:"updated_at"`
	Templates string    `db:"templates"`
	Branding  int64     `db:"branding"`
}

// jsonNotes scans a JSON object of strings.
type jsonNotes map[string]string

func (n *jsonNotes) Scan(src any) error { return postgres.ScanJSON(src, (*map[string]string)(n)) }

func (c *renderCache) render(ctx context.Context, meta *dispatchMeta) (*rendered, error) {
	releaseID, variant := meta.ReleaseID, meta.Variant
	rel, err := releases.Get(ctx, c.db, releaseID)
	if err != nil {
		return nil, err
	}
	pcs, err := templates.LoadPressContacts(ctx, c.db, releaseID)
	if err != nil {
		return nil, err
	}
	ov, err := branding.LoadOverrides(ctx, c.db, c.baseURL)
	if err != nil {
		return nil, err
	}
	for _, problem := range ov.Problems() {
		c.log.Warn("template override no longer compiles, the built-in serves", "problem", problem)
	}
	ms, err := media.List(ctx, c.db, releaseID)
	if err != nil {
		return nil, err
	}
	out := &rendered{releaseID: releaseID, slug: rel.Slug, variant: variant, original: rel.OriginalLanguage, byLang: map[string]*templates.Prepared{}}
	if rel.EmbargoUntil != nil {
		out.embargoUntil = *rel.EmbargoUntil
	}
	if len(rel.PressContacts) > 0 {
		out.replyTo = rel.PressContacts[0]
	}
	// The release itself is counted; the notices about it (recall,
	// embargo change) are not.
	switch variant {
	case templates.VariantPublic, templates.VariantEmbargoed, templates.VariantCorrection:
		out.tracking = rel.Tracking
	}
	// An embargoed notice is dated by its lift; anything else by its
	// publication, or now for a release not yet public.
	published := time.Now()
	if rel.PublishedAt != nil {
		published = *rel.PublishedAt
	}
	if variant == templates.VariantEmbargoed || variant == templates.VariantEmbargoChanged {
		published = time.Time{}
	}
	for lang, tr := range rel.Translations {
		p, err := templates.PrepareContext(ctx, ov, variant, templates.Release{
			ID: rel.ID, Slug: rel.Slug, Language: lang,
			Title: tr.Title, Summary: tr.Summary, Body: tr.Body, Dateline: tr.Dateline,
			PublishedAt: published, PressContacts: pcs, EmbargoUntil: out.embargoUntil,
			CorrectionNote: meta.Notes[lang], RecallNote: meta.Reason, Greeting: rel.Greeting,
			URL: c.pageURL(rel.Slug, lang), Media: mailMedia(ms, lang, c.baseURL),
		})
		if err != nil {
			return nil, fmt.Errorf("render release %d in %s: %w", releaseID, lang, err)
		}
		if err := p.OverrideError(); err != nil {
			c.log.Warn("template override failed on this release, the built-in serves",
				"release_id", releaseID, "language", lang, "variant", variant, "error", err)
		}
		out.byLang[lang] = p
	}
	return out, nil
}

// pageURL is the newsroom's address of a release in one language
// (/releases/{slug}?lang=), which messages link to as "view online".
func (c *renderCache) pageURL(slug, lang string) string {
	if c.baseURL == "" {
		return ""
	}
	return c.baseURL + "/releases/" + url.PathEscape(slug) + "?lang=" + url.QueryEscape(lang)
}
