package web

import "net/http"

// templateRoutes registers the template override and preview endpoints.
func (h *Handler) templateRoutes(mux *http.ServeMux) {}
