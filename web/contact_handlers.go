package web

import (
	"net/http"

	"github.com/communique/communique/contacts"
)

func (h *Handler) contactRoutes(mux *http.ServeMux) {
	h.api(mux, "POST /api/v1/contacts/import", h.importContacts)
	h.api(mux, "GET /api/v1/contacts/export", h.exportContacts)
}

func (h *Handler) importContacts(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, maxImport)
	opts := contacts.ImportOptions{
		SkipInvalid: r.URL.Query().Get("skip_invalid") == "true",
		Source:      "api import",
	}
	res, err := contacts.Import(r.Context(), h.DB, body, opts)
	if err != nil {
		return err
	}
	h.Logger.Info("contacts imported", "created", res.Created, "updated", res.Updated, "rejected", len(res.Rejected))
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (h *Handler) exportContacts(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	return contacts.Export(r.Context(), h.DB, w)
}
