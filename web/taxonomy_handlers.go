package web

import "net/http"

// taxonomyRoutes registers the regions and topics endpoints.
func (h *Handler) taxonomyRoutes(mux *http.ServeMux) {}
