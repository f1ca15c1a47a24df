package web

import (
	"net/http"

	"github.com/communique/communique/taxonomy"
)

// taxonomyRoutes registers the regions and topics endpoints.
func (h *Handler) taxonomyRoutes(mux *http.ServeMux) {
	h.api(mux, "GET /api/v1/regions", h.listRegions)
	h.api(mux, "POST /api/v1/regions", h.createRegion)
	h.api(mux, "GET /api/v1/topics", h.listTopics)
	h.api(mux, "POST /api/v1/topics", h.createTopic)
}

// regionInput is what an administrator gives for a custom region; the M49
// code and the built-in flag belong to the built-in regions only, so they
// are unknown fields here.
type regionInput struct {
	Slug      string         `json:"slug"`
	Parent    string         `json:"parent"`
	Names     taxonomy.Names `json:"names"`
	Countries []string       `json:"countries"`
}

func (h *Handler) createRegion(w http.ResponseWriter, r *http.Request) error {
	var in regionInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := taxonomy.CreateRegion(r.Context(), h.DB, taxonomy.Region{Slug: in.Slug, Parent: in.Parent,
		Names: in.Names, Countries: in.Countries}); err != nil {
		return err
	}
	reg, err := taxonomy.GetRegion(r.Context(), h.DB, in.Slug)
	if err != nil {
		return err
	}
	h.Logger.Info("region created", "slug", reg.Slug, "countries", len(reg.Countries))
	w.Header().Set("Location", "/api/v1/regions")
	writeJSON(w, http.StatusCreated, reg)
	return nil
}

func (h *Handler) listRegions(w http.ResponseWriter, r *http.Request) error {
	regions, err := taxonomy.Regions(r.Context(), h.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]taxonomy.Region{"regions": nonNil(regions)})
	return nil
}

func (h *Handler) createTopic(w http.ResponseWriter, r *http.Request) error {
	var t taxonomy.Topic
	if err := readJSON(w, r, &t); err != nil {
		return err
	}
	if err := taxonomy.CreateTopic(r.Context(), h.DB, t); err != nil {
		return err
	}
	topic, err := taxonomy.GetTopic(r.Context(), h.DB, t.Slug)
	if err != nil {
		return err
	}
	h.Logger.Info("topic created", "slug", topic.Slug)
	w.Header().Set("Location", "/api/v1/topics")
	writeJSON(w, http.StatusCreated, topic)
	return nil
}

func (h *Handler) listTopics(w http.ResponseWriter, r *http.Request) error {
	topics, err := taxonomy.Topics(r.Context(), h.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]taxonomy.Topic{"topics": nonNil(topics)})
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
