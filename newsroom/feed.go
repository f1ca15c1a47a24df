package newsroom

import "net/http"

func (h *Handler) feed(w http.ResponseWriter, r *http.Request)    {}
func (h *Handler) sitemap(w http.ResponseWriter, r *http.Request) {}
