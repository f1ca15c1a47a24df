package web

import (
	"html/template"
	"net/http"
	"time"
)

// The unsubscribe page: GET only shows a button, because link scanners
// follow links in mail; POST (the button, or a mail client's RFC 8058
// one-click request) unsubscribes at once.
var unsubscribeTmpl = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unsubscribe</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1.1rem;padding:.6rem 1.2rem}</style></head>
<body>{{if .Done}}<h1>You are unsubscribed</h1><p>You will receive no more press releases at this address.</p>
{{else if .Invalid}}<h1>This link is not valid</h1><p>It may have been mistyped or cut by your mail program.</p>
{{else}}<h1>Unsubscribe</h1><p>Stop receiving press releases at this address?</p>
<form method="post"><button type="submit">Unsubscribe</button></form>{{end}}</body></html>`))

func (h *Handler) publicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /unsubscribe/{token}", h.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe/{token}", h.unsubscribe)
}

func (h *Handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	_, err := h.Signer.Verify("unsubscribe", r.PathValue("token"), time.Now())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
	}
	unsubscribeTmpl.Execute(w, map[string]bool{"Invalid": err != nil})
}

func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, err := h.Signer.Verify("unsubscribe", r.PathValue("token"), time.Now())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		unsubscribeTmpl.Execute(w, map[string]bool{"Invalid": true})
		return
	}
	// The contact and the suppression change together: the address is
	// never sent to again, even if it is re-imported later.
	_, err = h.DB.ExecContext(r.Context(), `
		WITH c AS (
			UPDATE contacts SET status = 'unsubscribed', updated_at = now()
			WHERE id = $1 RETURNING email)
		INSERT INTO suppressions (email, reason, detail)
		SELECT lower(email), 'unsubscribed', 'unsubscribe link' FROM c
		ON CONFLICT (email) DO NOTHING`, id)
	if err != nil {
		h.Logger.Error("unsubscribe", "contact_id", id, "error", err)
		http.Error(w, "Something went wrong; please try again.", http.StatusServiceUnavailable)
		return
	}
	h.Logger.Info("contact unsubscribed", "contact_id", id)
	unsubscribeTmpl.Execute(w, map[string]bool{"Done": true})
}
