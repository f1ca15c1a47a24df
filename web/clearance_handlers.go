package web

import (
	"net/http"

	"github.com/communique/communique/releases"
)

// clearanceRoutes registers submit, clear and return.
func (h *Handler) clearanceRoutes(mux *http.ServeMux) {
	h.api(mux, "POST /api/v1/releases/{id}/submit", h.clearance("submit"))
	h.api(mux, "POST /api/v1/releases/{id}/clear", h.clearance("clear"))
	h.api(mux, "POST /api/v1/releases/{id}/return", h.clearance("return"))
}

// clearance answers submit, clear and return with the release's
// clearance as it now stands.
func (h *Handler) clearance(action string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var body struct {
			Comment string `json:"comment"`
		}
		if r.ContentLength != 0 {
			if err := readJSON(w, r, &body); err != nil {
				return err
			}
		}
		l := h.lifecycle()
		switch action {
		case "submit":
			err = l.Submit(r.Context(), id, actor(r))
		case "clear":
			err = l.Clear(r.Context(), id, actor(r), body.Comment)
		case "return":
			err = l.Return(r.Context(), id, actor(r), body.Comment)
		}
		if err != nil {
			return err
		}
		rel, err := releases.Get(r.Context(), h.DB, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": rel.Status, "clearance": rel.Clearance})
		return nil
	}
}
