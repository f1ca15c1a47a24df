package web

import "net/http"

// ClientIP names the client of r as the public pages and their limits see
// it: the peer, or, behind a trusted proxy, the address it forwarded. The
// press office takes it to throttle sign-ins per client.
func (h *Handler) ClientIP(r *http.Request) string { return h.clientIP(r) }
