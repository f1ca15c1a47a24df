package newsroom

import (
	"net/http"

	"github.com/communique/communique/branding"
)

// frame starts a page's frame with the organisation's branding: its name
// (the configured one when none is set), logo, footer and address. A
// page goes on without the branding when the database cannot say.
func (h *Handler) frame(r *http.Request, t *text, title string) layoutData {
	d := layoutData{T: t, Base: h.cfg.BaseURL, Organisation: h.cfg.Organisation, Title: title}
	b, err := branding.Load(r.Context(), h.cfg.DB)
	if err != nil {
		h.log.Warn("branding not loaded; the page goes without", "error", err)
		return d
	}
	if b.Name != "" {
		d.Organisation = b.Name
	}
	d.LogoURL = b.LogoURL("")
	d.Footer, d.Address = branding.Lines(b.FooterFor(t.Lang)), b.AddressLines()
	return d
}
