package web

import (
	"net/http"

	"github.com/communique/communique/releases"
)

func (h *Handler) releaseRoutes(mux *http.ServeMux) {
	h.api(mux, "POST /api/v1/releases", h.createRelease)
	h.api(mux, "GET /api/v1/releases/{id}", h.getRelease)
	h.api(mux, "POST /api/v1/releases/{id}/publish", h.publishRelease)
	h.api(mux, "GET /api/v1/releases/{id}/report", h.releaseReport)
}

func (h *Handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	var rel releases.Release
	if err := readJSON(w, r, &rel); err != nil {
		return err
	}
	id, err := releases.Create(r.Context(), h.DB, &rel)
	if err != nil {
		return err
	}
	h.Logger.Info("release created", "release_id", id, "slug", rel.Slug)
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
	return nil
}

func (h *Handler) getRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rel, err := releases.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rel)
	return nil
}

func (h *Handler) publishRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	status, err := releases.Publish(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	h.Logger.Info("release published", "release_id", id, "status", status)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": status})
	return nil
}

func (h *Handler) releaseReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := releases.GetReport(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
