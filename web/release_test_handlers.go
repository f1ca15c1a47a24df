package web

import (
	"net/http"

	"github.com/communique/communique/branding"
	"github.com/communique/communique/templates"
)

// testRelease queues every language and variant of a release for a few
// addresses, marked as a test (templates.QueueTest); GET
// /api/v1/messages?release_id= shows how each fared.
func (h *Handler) testRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body struct {
		Emails []string `json:"emails"`
	}
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	brand, err := branding.Load(r.Context(), h.DB)
	if err != nil {
		return err
	}
	sent, err := templates.QueueTest(r.Context(), h.DB, templates.TestSend{ReleaseID: id,
		FromName: h.FromName, FromEmail: h.FromEmail, Emails: body.Emails, Actor: actor(r), Brand: brand.Mail(h.BaseURL)})
	if err != nil {
		return err
	}
	h.Logger.Info("release test queued", "release_id", id, "addresses", len(body.Emails), "messages", sent.Queued)
	writeJSON(w, http.StatusAccepted, sent)
	return nil
}
