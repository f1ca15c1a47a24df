package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/communique/communique"
	"github.com/communique/communique/tracking"
)

func (h *Handler) inboundRoutes(mux *http.ServeMux) {
	h.api(mux, "GET /api/v1/inbound", h.listInbound)
	h.api(mux, "GET /api/v1/deliveries/{id}", h.getDelivery)
}

// inboundPage is the answer of GET /api/v1/inbound: the newest inbound
// messages first and, unless the page is the last, the cursor to pass as
// after=.
type inboundPage struct {
	Inbound []tracking.Item `json:"inbound"`
	Next    string          `json:"next,omitempty"`
}

// listInbound lists the bounces, complaints, unsubscribe mail and
// auto-replies received, with their classification and matched delivery.
func (h *Handler) listInbound(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "kind", "after", "limit")
	f := tracking.Filter{Kind: q.Get("kind")}
	if f.Kind != "" && !tracking.ValidKind(f.Kind) {
		p = append(p, fmt.Sprintf("kind: %q is not one of %v", f.Kind, tracking.Kinds))
	}
	f.After = int64(intParam(q, "after", &p))
	f.Limit = intParam(q, "limit", &p)
	if f.Limit == 0 {
		f.Limit = 100
	}
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	items, err := tracking.List(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	out := inboundPage{Inbound: items}
	if len(items) == f.Limit {
		out.Next = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getDelivery shows a delivery with its timeline of SMTP attempts and the
// mail that came back about it.
func (h *Handler) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDOf(r, "delivery")
	if err != nil {
		return err
	}
	d, err := tracking.GetDelivery(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
