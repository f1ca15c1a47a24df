package office

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// previewCell is one message in one language as its readers get it.
type previewCell struct {
	Lang, Message, Subject, Text, Frame string
	// Problem says why the message cannot be shown (an embargoed notice
	// of a release without embargo, say).
	Problem string
}

// previewPage shows every message of a release in every language: the
// subject, the HTML part in a sandboxed frame at desktop and phone
// widths, and the plain-text part.
func (h *Handler) previewPage(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	h.showPreview(w, r, id, http.StatusOK, h.relView(r, "preview_title"))
}

// showPreview loads release id's messages into v and renders the preview
// page; a refused test send shows it again with its problems.
func (h *Handler) showPreview(w http.ResponseWriter, r *http.Request, id int64, status int, v *relView) {
	ctx := r.Context()
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ov, err := branding.LoadOverrides(ctx, h.cfg.DB, h.cfg.BaseURL)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.ReleaseID, v.Rel = id, rel
	for _, lang := range rel.Languages() {
		for _, m := range previewMessages {
			v.Previews = append(v.Previews, previewCell{Lang: lang, Message: m,
				Frame: "/office/releases/" + strconv.FormatInt(id, 10) + "/preview/" + m + "/" + url.PathEscape(lang)})
		}
	}
	// Four messages in each language, each a few queries and a render: a
	// few at a time, so the page waits for the slowest few, not the sum.
	errs := make([]error, len(v.Previews))
	slots := make(chan struct{}, previewWorkers)
	var wg sync.WaitGroup
	for i := range v.Previews {
		c := &v.Previews[i]
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			pv, err := templates.LoadPreview(ctx, h.cfg.DB, ov, id, c.Message, c.Lang)
			switch {
			case communique.ErrorCode(err) == communique.EINVALID:
				c.Problem = v.T("preview_unavailable") + " " + communique.ErrorMessage(err)
			case err != nil:
				errs[i] = err
			default:
				c.Subject = pv.Subject()
				c.Text, _ = pv.Personalize(previewReader(r, h.cfg.BaseURL))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		h.relFailed(w, r, err)
		return
	}
	h.renderRel(w, r, status, "preview", v)
}

// previewWorkers is how many of a preview page's messages are loaded at
// once: enough to overlap their queries, few enough to leave connections
// to other pages.
const previewWorkers = 4

// previewReader is the journalist a preview is addressed to, in the
// viewer's time zone.
func previewReader(r *http.Request, base string) templates.Recipient {
	return templates.Recipient{Email: "journalist@example.com", TimeZone: viewerZone(r).String(),
		UnsubscribeURL: base + "/unsubscribe/preview"}
}

// previewFrame serves one message's HTML part for the preview's frames.
// Its policy runs no script, loads nothing but images, and lets only the
// office's own pages frame it.
func (h *Handler) previewFrame(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	m := r.PathValue("message")
	if !slices.Contains(previewMessages, m) {
		h.message(w, r, http.StatusNotFound, "notfound_title", "notfound_body")
		return
	}
	ov, err := branding.LoadOverrides(r.Context(), h.cfg.DB, h.cfg.BaseURL)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	pv, err := templates.LoadPreview(r.Context(), h.cfg.DB, ov, id, m, r.PathValue("lang"))
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	_, html := pv.Personalize(previewReader(r, h.cfg.BaseURL))
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Language", pv.Language())
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(html))
}
