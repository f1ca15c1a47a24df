package web

import (
	"net/http"
	"strconv"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
)

// releasePage is the answer of GET /api/v1/releases: a page, newest
// first, and unless it is the last, the cursor to pass as after= for the
// next.
type releasePage struct {
	Releases []releases.Summary `json:"releases"`
	Next     string             `json:"next,omitempty"`
}

func (h *Handler) listReleases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "status", "q", "after", "limit")
	f := releases.ListFilter{Status: q.Get("status"), Query: q.Get("q")}
	f.AfterID = int64(intParam(q, "after", &p))
	f.Limit = intParam(q, "limit", &p)
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	page, next, err := releases.List(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	out := releasePage{Releases: page}
	if next != 0 {
		out.Next = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
