package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode"

	"github.com/communique/communique"

	"github.com/communique/communique/releases"
)

func (h *Handler) releaseRoutes(mux *http.ServeMux) {
	h.api(mux, "POST /api/v1/releases", h.createRelease)
	h.api(mux, "GET /api/v1/releases", h.listReleases)
	h.api(mux, "GET /api/v1/releases/{id}", h.getRelease)
	h.api(mux, "PUT /api/v1/releases/{id}", h.editRelease)
	h.api(mux, "DELETE /api/v1/releases/{id}", h.deleteRelease)
	h.api(mux, "GET /api/v1/releases/{id}/audience", h.releaseAudience)
	h.api(mux, "POST /api/v1/releases/{id}/test", h.testRelease)
	h.api(mux, "POST /api/v1/releases/{id}/publish", h.publishRelease)
	h.api(mux, "GET /api/v1/releases/{id}/report", h.releaseReport)
	h.api(mux, "GET /api/v1/releases/{id}/deliveries", h.releaseDeliveries)
	h.api(mux, "POST /api/v1/releases/{id}/lift", h.liftRelease)
	h.api(mux, "POST /api/v1/releases/{id}/postpone", h.postponeRelease)
	h.api(mux, "POST /api/v1/releases/{id}/recall", h.recallRelease)
	h.api(mux, "POST /api/v1/releases/{id}/correct", h.correctRelease)
	h.api(mux, "GET /api/v1/audit", h.auditLog)
}

func (h *Handler) lifecycle() *releases.Lifecycle {
	return &releases.Lifecycle{DB: h.DB, ClearanceRequired: h.ClearanceRequired}
}

func (h *Handler) createRelease(w http.ResponseWriter, r *http.Request) error {
	var d releases.Draft
	if err := readJSON(w, r, &d); err != nil {
		return err
	}
	id, err := h.lifecycle().Create(r.Context(), &d, actor(r))
	if err != nil {
		return err
	}
	h.Logger.Info("release created", "release_id", id, "slug", d.Slug)
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
	return nil
}

// editRelease replaces a draft, with the same body as createRelease.
func (h *Handler) editRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var d releases.Draft
	if err := readJSON(w, r, &d); err != nil {
		return err
	}
	if err := h.lifecycle().Edit(r.Context(), id, &d, actor(r)); err != nil {
		return err
	}
	h.Logger.Info("release edited", "release_id", id, "slug", d.Slug)
	return h.getRelease(w, r)
}

func (h *Handler) deleteRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.lifecycle().Delete(r.Context(), id, actor(r)); err != nil {
		return err
	}
	h.Logger.Info("release deleted", "release_id", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rel, err := releases.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rel)
	return nil
}

func (h *Handler) publishRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var opts releases.PublishOptions
	if err := readOptionalJSON(w, r, &opts); err != nil {
		return err
	}
	status, err := h.lifecycle().Publish(r.Context(), id, actor(r), opts)
	if err != nil {
		return err
	}
	h.Logger.Info("release published", "release_id", id, "status", status)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": status})
	return nil
}

func (h *Handler) releaseReport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rep, err := releases.GetReport(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// changed answers a life-cycle change with the release's new status.
func (h *Handler) changed(w http.ResponseWriter, r *http.Request, id int64, action string) error {
	rel, err := releases.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	h.Logger.Info("release "+action, "release_id", id, "status", rel.Status)
	writeJSON(w, http.StatusAccepted, map[string]any{"status": rel.Status, "embargo_until": rel.EmbargoUntil})
	return nil
}

func (h *Handler) liftRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.lifecycle().Lift(r.Context(), id, actor(r)); err != nil {
		return err
	}
	return h.changed(w, r, id, "lifted")
}

func (h *Handler) postponeRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body struct {
		EmbargoUntil *time.Time `json:"embargo_until"`
	}
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if body.EmbargoUntil == nil {
		return communique.Invalid("invalid postponement", []string{"embargo_until: required"})
	}
	if err := h.lifecycle().Postpone(r.Context(), id, *body.EmbargoUntil, actor(r)); err != nil {
		return err
	}
	return h.changed(w, r, id, "postponed")
}

func (h *Handler) recallRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := readOptionalJSON(w, r, &body); err != nil {
		return err
	}
	if err := h.lifecycle().Recall(r.Context(), id, body.Reason, actor(r)); err != nil {
		return err
	}
	return h.changed(w, r, id, "recalled")
}

func (h *Handler) correctRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c releases.Correction
	if err := readJSON(w, r, &c); err != nil {
		return err
	}
	if err := h.lifecycle().Correct(r.Context(), id, c, actor(r)); err != nil {
		return err
	}
	return h.changed(w, r, id, "corrected")
}

// readOptionalJSON is readJSON for bodies that may be left out: an
// empty body leaves v as it is.
func readOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	br := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
	for {
		b, err := br.Peek(1)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return communique.Invalid("invalid JSON body", []string{describeJSONError(err)})
		}
		if !unicode.IsSpace(rune(b[0])) {
			break
		}
		br.ReadByte()
	}
	r.Body = io.NopCloser(br)
	return readJSON(w, r, v)
}

func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := checkParams(q, "release_id", "actor", "after", "limit")
	f := releases.AuditFilter{
		ReleaseID: int64(intParam(q, "release_id", &p)),
		AfterID:   int64(intParam(q, "after", &p)),
		Limit:     int64(intParam(q, "limit", &p)),
		Actor:     q.Get("actor"),
	}
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	entries, err := releases.Audit(r.Context(), h.DB, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	return nil
}

func (h *Handler) releaseDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := checkParams(q, "status", "after", "limit")
	f := releases.DeliveryFilter{Status: q.Get("status"), AfterID: int64(intParam(q, "after", &p)), Limit: intParam(q, "limit", &p)}
	if err := communique.Invalid("invalid query", p); err != nil {
		return err
	}
	page, next, err := releases.Deliveries(r.Context(), h.DB, id, f)
	if err != nil {
		return err
	}
	body := map[string]any{"deliveries": page}
	if next != 0 {
		body["next"] = fmt.Sprintf("/api/v1/releases/%d/deliveries?after=%d&limit=%d&status=%s", id, next, len(page), f.Status)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
