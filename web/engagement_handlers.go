package web

import (
	"net/http"
	"time"

	"github.com/communique/communique/tracking"
)

// engagementRoutes serves the pixel and the click addresses of releases
// that count opens and clicks. They are public, like the unsubscribe
// links beside them in the same messages, and cheap: a token checked
// without the database, the answer, then one statement to count it.
func (h *Handler) engagementRoutes(mux *http.ServeMux) {
	e := tracking.NewEngagement(h.DB, h.Signer, h.Logger)
	// Readers open a message a few times and follow a few links; a
	// client network counted more than 60 times at once, then more than
	// once a second, is answered and not counted (a newsroom behind one
	// address, or a mail proxy, may reach that; a script flooding the
	// table does).
	lim := newLimiter(60, time.Second, 10_000)
	e.Allow = func(r *http.Request) bool { return lim.allow(clientKey(h.clientIP(r)), time.Now()) == allowed }
	mux.HandleFunc("GET /t/o/{token}", e.Open)
	mux.HandleFunc("GET /t/c/{token}", e.Click)
}
