package web

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// templateRoutes registers the template override and preview endpoints.
func (h *Handler) templateRoutes(mux *http.ServeMux) {
	h.api(mux, "GET /api/v1/templates", h.listTemplates)
	h.api(mux, "GET /api/v1/templates/{message}/{lang}", h.getTemplate)
	h.api(mux, "PUT /api/v1/templates/{message}/{lang}", h.putTemplate)
	h.api(mux, "DELETE /api/v1/templates/{message}/{lang}", h.deleteTemplate)
	h.api(mux, "GET /api/v1/releases/{id}/preview", h.previewRelease)
}

type templateList struct {
	Messages  []string                 `json:"messages"`
	Languages []string                 `json:"languages"`
	Templates []templates.TemplateInfo `json:"templates"`
}

func (h *Handler) listTemplates(w http.ResponseWriter, r *http.Request) error {
	list, err := templates.ListTemplates(r.Context(), h.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, templateList{Messages: templates.Messages(), Languages: templates.Languages(), Templates: list})
	return nil
}

func (h *Handler) getTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := templates.GetTemplate(r.Context(), h.DB, r.PathValue("message"), r.PathValue("lang"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// putTemplate saves an override once it has parsed and rendered the
// sample release within the render budget; a broken or costly one is
// refused with the part and line, or the bound it passed, of each
// problem. The check stops when the request ends.
func (h *Handler) putTemplate(w http.ResponseWriter, r *http.Request) error {
	message, lang, err := templates.ParseKey(r.PathValue("message"), r.PathValue("lang"))
	if err != nil {
		return err
	}
	var src templates.Source
	if err := readJSON(w, r, &src); err != nil {
		return err
	}
	created, err := templates.SaveOverride(r.Context(), h.DB, message, lang, src)
	if err != nil {
		return err
	}
	h.Logger.Info("template override saved", "message", message, "lang", lang, "created", created)
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "template.save", 0,
		map[string]any{"message": message, "language": lang, "created": created}); err != nil {
		return err
	}
	t, err := templates.GetTemplate(r.Context(), h.DB, message, lang)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, t)
	return nil
}

func (h *Handler) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	message, lang, err := templates.ParseKey(r.PathValue("message"), r.PathValue("lang"))
	if err != nil {
		return err
	}
	if err := templates.DeleteOverride(r.Context(), h.DB, message, lang); err != nil {
		return err
	}
	h.Logger.Info("template override deleted", "message", message, "lang", lang)
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "template.delete", 0,
		map[string]any{"message": message, "language": lang}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// previewRelease shows a release as one reader gets it: ?message= (public
// by default), ?lang= (the original by default; a language the release
// lacks shows what its readers get, the original), ?tz= (the reader's
// time zone for embargo times, UTC by default), ?name= (the reader's
// name, for a release that greets its readers), ?kind= (journalist by
// default; a mission gets neither a greeting nor an unsubscribe link, a
// press officer no unsubscribe link) and ?format=text for the plain-text
// part. Content-Language says which translation it is;
// X-Communique-Override-Error, why an administrator's template did not
// render it (a bound of the render budget passed, or a field the release
// lacks), in which case the built-in did, as it would for the readers.
// Rendering stops when the request ends.
func (h *Handler) previewRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	message := q.Get("message")
	if message == "" {
		message = templates.VariantPublic
	}
	format := q.Get("format")
	if format != "" && format != "html" && format != "text" {
		return communique.Invalid("invalid preview", []string{"format: " + format + " is neither html nor text"})
	}
	switch q.Get("kind") {
	case "", "journalist", "mission", "press_officer":
	default:
		return communique.Invalid("invalid preview", []string{"kind: " + q.Get("kind") + " is not journalist, mission or press_officer"})
	}
	tz := q.Get("tz")
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return communique.Invalid("invalid preview", []string{"tz: " + tz + " is not an IANA time zone"})
		}
	}
	ov, err := branding.LoadOverrides(r.Context(), h.DB, h.BaseURL)
	if err != nil {
		return err
	}
	pv, err := templates.LoadPreview(r.Context(), h.DB, ov, id, message, q.Get("lang"))
	if err != nil {
		return err
	}
	hd := w.Header()
	if err := pv.OverrideError(); err != nil {
		// The preview shows the built-in, as recipients would get it, and
		// tells the press office why.
		h.Logger.Warn("template override failed on release", "release_id", id, "error", err)
		hd.Set("X-Communique-Override-Error", mime.QEncoding.Encode("utf-8", err.Error()))
	}
	rc := templates.Recipient{Name: q.Get("name"), Email: "journalist@example.com", TimeZone: tz}
	switch q.Get("kind") {
	case "", "journalist":
		rc.UnsubscribeURL = strings.TrimRight(h.BaseURL, "/") + "/unsubscribe/preview"
	case "mission":
		rc.Email, rc.Institution = "mission@example.org", true
	case "press_officer":
		rc.Email = "press.officer@example.org"
	}
	text, html := pv.Personalize(rc)

	hd.Set("Content-Language", pv.Language())
	hd.Set("X-Content-Type-Options", "nosniff")
	// The subject is not in either part; a UI shows it from here.
	hd.Set("X-Communique-Subject", mime.QEncoding.Encode("utf-8", pv.Subject()))
	if format == "text" {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(text)) // a client gone away is no error of ours
		return nil
	}
	// An administrator's template may hold anything: the preview runs no
	// script and loads nothing but images.
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; sandbox")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(html))
	return nil
}
