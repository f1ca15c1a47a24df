package web

import (
	"bytes"
	"context"
	"net/http"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/templates"
)

// logo serves the organisation's logo, which messages link to
// (/branding/logo?v=HASH) and pages show. The address of a version never
// changes content, so a request naming the current hash may be kept for
// a year; without it, caches must ask again, and the hash is the ETag.
// Only the small row is read for a request that the ETag answers.
func (p *public) logo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	b, err := branding.Load(ctx, p.h.DB)
	if err != nil {
		p.h.Logger.Error("branding logo", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if b.Logo == nil {
		hdr.Set("Cache-Control", "no-store")
		http.Error(w, "no logo", http.StatusNotFound)
		return
	}
	etag := `"` + b.Logo.Hash + `"`
	hdr.Set("ETag", etag)
	if v := r.URL.Query().Get("v"); v == b.Logo.Hash {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "public, no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f, err := branding.LoadLogo(ctx, p.h.DB)
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		// Removed between the two reads.
		hdr.Set("Cache-Control", "no-store")
		hdr.Del("ETag")
		http.Error(w, "no logo", http.StatusNotFound)
		return
	}
	if err != nil {
		p.h.Logger.Error("branding logo", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr.Set("ETag", `"`+f.Hash+`"`)
	hdr.Set("Content-Type", f.Type)
	http.ServeContent(w, r, "", f.UpdatedAt, bytes.NewReader(f.Data))
}

// brand is what the public pages show of the branding; a page goes on
// without it when the database cannot say.
func (p *public) brand(ctx context.Context) *branding.Branding {
	b, err := branding.Load(ctx, p.h.DB)
	if err != nil {
		p.h.Logger.Warn("branding not loaded; the page goes without", "error", err)
		return &branding.Branding{}
	}
	return b
}

// mailBrand is what the mails the public pages queue are rendered with:
// the administrators' templates and the branding, as the press office's
// template editor shows them.
func (p *public) mailBrand(ctx context.Context) (templates.Overrides, error) {
	return branding.LoadOverrides(ctx, p.h.DB, p.h.BaseURL)
}
