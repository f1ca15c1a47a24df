package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/communique/communique"
	"github.com/communique/communique/mailqueue"
)

func (h *Handler) messageRoutes(mux *http.ServeMux) {
	h.api(mux, "GET /api/v1/messages", h.listMessages)
}

// messagePage is the answer of GET /api/v1/messages: the newest messages
// first and, unless the page is the last, the cursor to pass as after=.
type messagePage struct {
	Messages []mailqueue.Message `json:"messages"`
	Next     string              `json:"next,omitempty"`
}

// listMessages lists the messages sent outside releases (confirmations,
// preferences links, resets, welcome links, test sends) with their
// outcomes, by kind, status, contact or release.
func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "kind", "status", "contact_id", "release_id", "after", "limit")
	f := mailqueue.Filter{Kind: q.Get("kind"), Status: q.Get("status")}
	if f.Kind != "" && !mailqueue.ValidKind(f.Kind) {
		p = append(p, fmt.Sprintf("kind: %q is not one of %v", f.Kind, mailqueue.Kinds))
	}
	if f.Status != "" && !mailqueue.ValidStatus(f.Status) {
		p = append(p, fmt.Sprintf("status: %q is not one of %v", f.Status, mailqueue.Statuses))
	}
	f.ContactID = int64(intParam(q, "contact_id", &p))
	f.ReleaseID = int64(intParam(q, "release_id", &p))
	f.After = int64(intParam(q, "after", &p))
	f.Limit = intParam(q, "limit", &p)
	if f.Limit == 0 {
		f.Limit = 100
	}
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	msgs, err := mailqueue.List(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	out := messagePage{Messages: msgs}
	if len(msgs) == f.Limit {
		out.Next = strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
