package web

import (
	"net/http"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// releaseAudience answers who a release would reach if published now,
// counted by the rules and language choice its publication would use.
func (h *Handler) releaseAudience(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := communique.Invalid("invalid query", checkParams(r.URL.Query())); err != nil {
		return err
	}
	a, err := releases.GetAudience(r.Context(), h.DB, id, templates.MatchLanguage, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
