package newsroom

import (
	"fmt"
	"net/http"
	"time"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// previewDelivery is the delivery a preview link names.
type previewDelivery struct {
	ID        int64  `db:"id"`
	Language  string `db:"language"`
	Email     string `db:"email"`
	Variant   string `db:"variant"`
	ReleaseID int64  `db:"release_id"`
}

// preview serves /preview/{token}: the release an embargoed notice
// announced, to that notice's recipient, until the lift. The token is
// signed for the delivery; each opening goes into the audit log under the
// recipient's address. Nothing of it is cached or indexed.
func (h *Handler) preview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	t := uiText(r, "")
	if h.cfg.Signer == nil {
		h.previewRefused(w, r, t, http.StatusNotFound, t.PreviewBad)
		return
	}
	id, err := h.cfg.Signer.Verify("preview", r.PathValue("token"), time.Now())
	if err != nil {
		h.previewRefused(w, r, t, http.StatusNotFound, t.PreviewBad)
		return
	}
	var d previewDelivery
	err = h.cfg.DB.GetContext(ctx, &d, `
		SELECT d.id, d.language, d.email, s.variant, s.release_id
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE d.id = $1`, id)
	if err != nil || d.Variant != "embargoed" {
		// A signed token for a delivery that is gone or is no notice:
		// nothing to show, and nothing to say about it.
		h.previewRefused(w, r, t, http.StatusNotFound, t.PreviewBad)
		return
	}
	p, err := getPreview(ctx, h.cfg.DB, d.ReleaseID, d.Language)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p == nil {
		h.previewRefused(w, r, t, http.StatusGone, t.PreviewOver)
		return
	}
	if x, ok := texts[baseOf(p.Language)]; ok {
		t = x
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, "contact:"+d.Email, "preview", p.ID,
		map[string]any{"delivery_id": d.ID, "language": p.Language}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("embargoed preview opened", "release_id", p.ID, "delivery_id", d.ID)
	body, err := templates.BodyHTML(p.Body, p.Language)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rd := releaseData{P: p, Dir: templates.Direction(p.Language), Date: t.date(p.PublishedAt), Body: body,
		Embargo: fmt.Sprintf(t.Embargoed, t.date(p.PublishedAt)), PreviewFor: fmt.Sprintf(t.PreviewFor, d.Email)}
	rd.layoutData = h.frame(r, t, p.Title)
	if err := h.withMedia(w, r, &rd, "/preview/"+r.PathValue("token")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "release", rd)
}

func (h *Handler) previewRefused(w http.ResponseWriter, r *http.Request, t *text, status int, msg string) {
	d := messageData{layoutData: h.frame(r, t, msg), Heading: msg}
	h.render(w, status, "message", d)
}
