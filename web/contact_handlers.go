package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

func (h *Handler) contactRoutes(mux *http.ServeMux) {
	limits := h.Imports.withDefaults()
	h.api(mux, "POST /api/v1/contacts/import", h.importContacts(make(chan struct{}, limits.Concurrent), limits))
	h.api(mux, "GET /api/v1/contacts/export", h.exportContacts)
	h.api(mux, "GET /api/v1/contacts", h.listContacts)
	h.api(mux, "POST /api/v1/contacts", h.createContact)
	h.api(mux, "GET /api/v1/contacts/{id}", h.getContact)
	h.api(mux, "PUT /api/v1/contacts/{id}", h.updateContact)
	h.api(mux, "DELETE /api/v1/contacts/{id}", h.deleteContact)
	h.api(mux, "GET /api/v1/suppressions", h.listSuppressions)
	h.api(mux, "POST /api/v1/suppressions", h.addSuppression)
	h.api(mux, "DELETE /api/v1/suppressions/{email}", h.liftSuppression)
}

func (h *Handler) exportContacts(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	return contacts.Export(r.Context(), h.DB, w)
}

// contactPage is the answer of GET /api/v1/contacts: a page and, unless it
// is the last, the cursor to pass as after= for the next.
type contactPage struct {
	Contacts []contacts.Contact `json:"contacts"`
	Next     string             `json:"next,omitempty"`
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "kind", "country", "status", "region", "topic", "q", "limit", "after")
	f := contacts.Filter{Kind: q.Get("kind"), Country: q.Get("country"), Status: q.Get("status"),
		Region: q.Get("region"), Topic: q.Get("topic"), Query: q.Get("q")}
	f.Limit = intParam(q, "limit", &p)
	f.AfterID = int64(intParam(q, "after", &p))
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	page, err := contacts.ListPage(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	out := contactPage{Contacts: page.Contacts}
	if page.Next != 0 {
		out.Next = strconv.FormatInt(page.Next, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createContact adds a contact on an administrator's word; its consent is
// recorded as given through the API from the administrator's address
// unless the body says otherwise.
func (h *Handler) createContact(w http.ResponseWriter, r *http.Request) error {
	var c contacts.Contact
	if err := readContact(w, r, &c); err != nil {
		return err
	}
	if c.ConsentIP == "" {
		c.ConsentIP = h.clientIP(r)
	}
	created, err := contacts.Create(r.Context(), h.DB, &c)
	if err != nil {
		return err
	}
	h.Logger.Info("contact created", "contact_id", created.ID, "kind", created.Kind, "status", created.Status)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/contacts/%d", created.ID))
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (h *Handler) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := contactID(r)
	if err != nil {
		return err
	}
	c, err := contacts.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) updateContact(w http.ResponseWriter, r *http.Request) error {
	id, err := contactID(r)
	if err != nil {
		return err
	}
	var c contacts.Contact
	if err := readContact(w, r, &c); err != nil {
		return err
	}
	updated, err := contacts.Update(r.Context(), h.DB, id, &c)
	if err != nil {
		return err
	}
	h.Logger.Info("contact updated", "contact_id", id, "status", updated.Status)
	writeJSON(w, http.StatusOK, updated)
	return nil
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := contactID(r)
	if err != nil {
		return err
	}
	if err := contacts.Delete(r.Context(), h.DB, id); err != nil {
		return err
	}
	h.Logger.Info("contact deleted", "contact_id", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listSuppressions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "reason", "q", "limit", "after")
	f := contacts.SuppressionFilter{Reason: q.Get("reason"), Query: q.Get("q"), After: q.Get("after")}
	f.Limit = intParam(q, "limit", &p)
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	page, err := contacts.ListSuppressions(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) addSuppression(w http.ResponseWriter, r *http.Request) error {
	var s contacts.Suppression
	if err := readJSON(w, r, &s); err != nil {
		return err
	}
	if !s.CreatedAt.IsZero() {
		return communique.Invalid("invalid suppression", []string{"created_at: set by the service"})
	}
	out, created, err := contacts.Suppress(r.Context(), h.DB, s)
	if err != nil {
		return err
	}
	h.Logger.Info("address suppressed", "reason", out.Reason, "created", created)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
	return nil
}

// liftedSuppression is the answer of DELETE /api/v1/suppressions/{email}.
type liftedSuppression struct {
	Lifted contacts.Suppression `json:"lifted"`
	// ContactStatus is the status of the address's contact afterwards,
	// absent when no contact has the address.
	ContactStatus string `json:"contact_status,omitempty"`
}

func (h *Handler) liftSuppression(w http.ResponseWriter, r *http.Request) error {
	s, status, err := contacts.Lift(r.Context(), h.DB, r.PathValue("email"))
	if err != nil {
		return err
	}
	h.Logger.Info("suppression lifted", "reason", s.Reason, "contact_status", status)
	writeJSON(w, http.StatusOK, liftedSuppression{Lifted: *s, ContactStatus: status})
	return nil
}

func contactID(r *http.Request) (int64, error) { return pathIDOf(r, "contact") }

// checkParams names each query parameter that is not one of known, so a
// misspelt filter is an error rather than a silently wider answer, and
// each one given twice.
func checkParams(q url.Values, known ...string) []string {
	var p []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(known, k):
			p = append(p, fmt.Sprintf("%s: unknown parameter (known: %s)", k, strings.Join(known, ", ")))
		case len(q[k]) > 1:
			p = append(p, fmt.Sprintf("%s: given %d times", k, len(q[k])))
		}
	}
	return p
}

// maxPageLimit is the largest page any list serves.
const maxPageLimit = 1000

// intParam reads a non-negative integer parameter, 0 when absent, adding
// a problem to p when it is not one. A "limit" above maxPageLimit is a
// problem too, so that every list refuses a page it will not serve
// rather than serve a smaller one.
func intParam(q url.Values, name string, p *[]string) int {
	s := q.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		*p = append(*p, fmt.Sprintf("%s: %q is not a non-negative integer", name, s))
		return 0
	}
	if name == "limit" && n > maxPageLimit {
		*p = append(*p, fmt.Sprintf("limit: %d is more than the maximum, %d", n, maxPageLimit))
		return 0
	}
	return n
}

// readContact reads a contact's JSON body. The JSON decoder would make
// invalid UTF-8 inside a string U+FFFD without a word, so the body is
// checked first and each field holding such bytes is named.
func readContact(w http.ResponseWriter, r *http.Request, c *contacts.Contact) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return communique.Invalid("invalid JSON body", []string{describeJSONError(err)})
	}
	if !utf8.Valid(body) {
		var fields map[string]json.RawMessage
		p := []string{"body: not valid UTF-8 text"}
		if json.Unmarshal(body, &fields) == nil {
			p = p[:0]
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				if !utf8.Valid(fields[k]) {
					p = append(p, k+": not valid UTF-8 text")
				}
			}
		}
		return communique.Invalid("invalid contact", p)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return readJSON(w, r, c)
}
