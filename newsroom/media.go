package newsroom

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique/media"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/templates"
)

// publicMedia is the rule for a file: public when its release's page is
// (public), and not once the release is recalled, whose page is only a
// withdrawal notice.
const publicMedia = public + ` AND r.status = 'published'`

// figure is a photo as a release page shows it.
type figure struct {
	Src, Srcset, Original string
	Width, Height         int
	Alt, Caption, Credit  string
	// Lang and Dir are set when the texts are not in the page's
	// language.
	Lang, Dir string
	// Download names the original's format and size.
	Download string
}

// document is a document as a release page lists it.
type document struct {
	URL, Title, About string
	Lang, Dir         string
}

// pageMedia is what a release page shows of its media.
type pageMedia struct {
	Figures   []figure
	Documents []document
	// Image is the absolute address of the first photo, for og:image.
	Image string
	// Key changes whenever the media shown change; Modified is the
	// latest change.
	Key      string
	Modified time.Time
}

// loadMedia reads release p's media for its page. prefix goes before
// every file's address: "" for the public page, the preview's own
// address for a private preview.
func (h *Handler) loadMedia(ctx context.Context, p *page, t *text, prefix string) (pageMedia, error) {
	var out pageMedia
	if p.Status == "recalled" {
		return out, nil
	}
	ms, err := media.List(ctx, h.cfg.DB, p.ID)
	if err != nil {
		return out, err
	}
	var key strings.Builder
	for i := range ms {
		m := &ms[i]
		fmt.Fprintf(&key, "%d:%d:%s;", m.ID, m.Position, m.UpdatedAt.UTC().Format(time.RFC3339Nano))
		if m.UpdatedAt.After(out.Modified) {
			out.Modified = m.UpdatedAt
		}
		l := m.Texts.Lang(p.Language, p.Original)
		tx := m.Texts[l]
		lang, dir := "", ""
		if l != "" && l != p.Language {
			lang, dir = l, templates.Direction(l)
		}
		if m.Kind == media.KindImage {
			f := figure{Original: prefix + m.Path(media.RenditionOriginal), Width: m.Width, Height: m.Height,
				Alt: tx.Alt, Caption: tx.Caption, Credit: tx.Credit, Lang: lang, Dir: dir,
				Download: fmt.Sprintf(t.Original, media.FormatName(m.ContentType), t.size(m.Size))}
			var set []string
			for _, r := range m.Renditions {
				f.Src, f.Width, f.Height = prefix+m.Path(r.Name), r.Width, r.Height
				set = append(set, fmt.Sprintf("%s %dw", prefix+m.Path(r.Name), r.Width))
			}
			f.Srcset = strings.Join(set, ", ")
			if f.Alt == "" {
				f.Alt = f.Caption
			}
			if out.Image == "" && len(m.Renditions) > 0 {
				out.Image = h.cfg.BaseURL + m.Path(m.Renditions[len(m.Renditions)-1].Name)
			}
			out.Figures = append(out.Figures, f)
			continue
		}
		d := document{URL: prefix + m.Path(media.RenditionOriginal), Title: tx.Caption, Lang: lang, Dir: dir,
			About: media.FormatName(m.ContentType) + ", " + t.size(m.Size)}
		if d.Title == "" {
			d.Title, d.Lang, d.Dir = m.Filename, "", ""
		}
		out.Documents = append(out.Documents, d)
	}
	out.Key = key.String()
	return out, nil
}

// enclosures are the entries' media as Atom enclosure links, by release
// and language: the originals, titled by their captions.
func (h *Handler) enclosures(ctx context.Context, entries []entry) (map[int64]map[string][]atomLink, error) {
	var ids []int64
	for _, e := range entries {
		if e.Status == "published" {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	byRelease, err := media.ListOf(ctx, h.cfg.DB, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]map[string][]atomLink{}
	for _, e := range entries {
		for _, m := range byRelease[e.ID] {
			title := m.Texts.In(e.Language, e.Original).Caption
			if title == "" {
				title = m.Filename
			}
			if out[e.ID] == nil {
				out[e.ID] = map[string][]atomLink{}
			}
			out[e.ID][e.Language] = append(out[e.ID][e.Language], atomLink{Rel: "enclosure", Type: m.ContentType,
				Href: h.cfg.BaseURL + m.Path(media.RenditionOriginal), Title: title, Length: m.Size})
		}
	}
	return out, nil
}

// withMedia adds a release's media to its page, and to the page's
// validators and metadata, so that a photo added, edited or removed
// changes the page's ETag.
func (h *Handler) withMedia(w http.ResponseWriter, r *http.Request, d *releaseData, prefix string) error {
	m, err := h.loadMedia(r.Context(), d.P, d.T, prefix)
	if err != nil {
		return err
	}
	d.Media = m
	if m.Key == "" {
		return nil
	}
	if tag := w.Header().Get("ETag"); tag != "" {
		w.Header().Set("ETag", etag(tag, m.Key))
		if m.Modified.After(d.P.UpdatedAt) {
			w.Header().Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
		}
	}
	if m.Image != "" && d.OG != nil {
		d.OG["og:image"] = m.Image
		if alt := firstAlt(m.Figures); alt != "" {
			d.OG["og:image:alt"] = alt
		}
		d.JSONLD["image"] = m.Image
	}
	return nil
}

func firstAlt(fs []figure) string {
	if len(fs) == 0 {
		return ""
	}
	return fs[0].Alt
}

// size writes a file size the way this language writes numbers.
func (x *text) size(n int64) string {
	var s string
	switch {
	case n >= 1<<20:
		s = strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " " + x.MB
	default:
		s = strconv.FormatInt(max(1, (n+1023)/1024), 10) + " " + x.KB
	}
	if x.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// mediaFile serves GET /media/{id}/{rendition}/{name}: a file of a
// public release, 404 before its page is public and once it is
// recalled.
func (h *Handler) mediaFile(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return
	}
	h.serveMedia(w, r, id, false, `
		SELECT m.release_id FROM media m JOIN releases r ON r.id = m.release_id
		WHERE m.id = $1 AND `+publicMedia, id)
}

// previewMedia serves a file of an embargoed release to the recipient
// of its notice, by the same signed token as the preview page, until
// the lift.
func (h *Handler) previewMedia(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if h.cfg.Signer == nil || err != nil || id <= 0 {
		h.noFile(w, r)
		return
	}
	delivery, err := h.cfg.Signer.Verify("preview", r.PathValue("token"), time.Now())
	if err != nil {
		h.noFile(w, r)
		return
	}
	h.serveMedia(w, r, id, true, `
		SELECT s.release_id FROM deliveries d
		JOIN dispatches s ON s.id = d.dispatch_id
		JOIN releases r ON r.id = s.release_id
		JOIN media m ON m.release_id = r.id
		WHERE d.id = $1 AND s.variant = 'embargoed' AND r.status = 'embargoed' AND m.id = $2`, delivery, id)
}

// serveMedia sends a rendition of media id, named as its page links it,
// when the query releaseOf (with args) finds the release the caller may
// see it in; it is 404 when the query finds none.
func (h *Handler) serveMedia(w http.ResponseWriter, r *http.Request, id int64, private bool, releaseOf string, args ...any) {
	var releaseID int64
	err := h.cfg.DB.GetContext(r.Context(), &releaseID, releaseOf, args...)
	if postgres.IsNoRows(err) {
		h.noFile(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := media.Get(r.Context(), h.cfg.DB, releaseID, id)
	if err != nil {
		h.noFile(w, r)
		return
	}
	rend, ok := m.Rendition(r.PathValue("rendition"))
	if !ok || r.PathValue("name") != m.FileName(rend) {
		h.noFile(w, r)
		return
	}
	hd := w.Header()
	tag := `"` + rend.SHA256 + `"`
	hd.Set("ETag", tag)
	switch {
	case private:
	case rend.Name == media.RenditionOriginal:
		// Pages do not embed originals: asking each time lets a recall
		// or a removal reach every reader at once.
		hd.Set("Cache-Control", "public, no-cache")
	default:
		// A rendition's address names content that never changes.
		hd.Set("Cache-Control", "public, max-age=86400, immutable")
	}
	disposition := "inline"
	if m.Kind == media.KindDocument {
		disposition = "attachment"
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": m.FileName(rend)}))
	if notModified(r, tag, "") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rc, err := h.media.Open(r.Context(), id, rend.Name)
	if err != nil {
		h.log.Error("media file missing", "release_id", releaseID, "media_id", id, "rendition", rend.Name, "error", err)
		h.noFile(w, r)
		return
	}
	defer rc.Close()
	hd.Set("Content-Type", rend.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(rend.Size, 10))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		h.log.Warn("media file cut short", "media_id", id, "error", err)
	}
}

func (h *Handler) noFile(w http.ResponseWriter, r *http.Request) {
	// Never cached: the same address becomes a file at the lift.
	w.Header().Set("Cache-Control", "no-store")
	http.NotFound(w, r)
}
