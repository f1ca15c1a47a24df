package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// maxTestAddresses bounds a test send: it goes out synchronously, every
// language and variant to each address.
const maxTestAddresses = 10

// testSubjectPrefix marks a test message's subject; the mark is the same
// in every language, so it is found the same way in every inbox.
const testSubjectPrefix = "[TEST] "

// testSend is the answer of POST /api/v1/releases/{id}/test.
type testSend struct {
	Sent      int      `json:"sent"`
	Languages []string `json:"languages"`
	Variants  []string `json:"variants"`
}

// testRelease sends every language and variant of a release to a few
// addresses, as its readers would get them but marked as a test. It
// records no dispatch or delivery and reads or changes no contact: the
// addresses need not be contacts at all.
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
	emails, err := testAddresses(body.Emails)
	if err != nil {
		return err
	}
	if h.SendMail == nil || h.FromEmail == "" {
		return communique.Errorf(communique.EUNAVAILABLE, "no mail relay is configured: test messages cannot be sent")
	}
	rel, err := releases.Get(r.Context(), h.DB, id)
	if err != nil {
		return err
	}
	variants := []string{templates.VariantPublic}
	if rel.EmbargoUntil != nil && (rel.Status == releases.StatusDraft || rel.Status == releases.StatusEmbargoed) {
		variants = append(variants, templates.VariantEmbargoed)
	}
	ov, err := templates.LoadOverrides(r.Context(), h.DB)
	if err != nil {
		return err
	}
	// Rendered once per language and variant, then personalized per address.
	var messages []*templates.Preview
	for _, lang := range rel.Languages() {
		for _, v := range variants {
			pv, err := templates.LoadPreview(r.Context(), h.DB, ov, id, v, lang)
			if err != nil {
				return err
			}
			messages = append(messages, pv)
		}
	}
	sent := 0
	for i, to := range emails {
		for _, pv := range messages {
			if err := h.SendMail(r.Context(), h.testMessage(pv, id, to)); err != nil {
				h.Logger.Warn("test message refused", "release_id", id, "to", to, "error", err)
				return &communique.Error{Code: communique.EUNAVAILABLE,
					Message: fmt.Sprintf("the mail relay did not take the test message for %s; %d message(s) were sent before", to, sent),
					Details: []string{fmt.Sprintf("emails[%d]: %q: %v", i, to, err)}}
			}
			sent++
		}
	}
	if err := releases.RecordAudit(r.Context(), h.DB, actor(r), "test", id,
		map[string]any{"emails": emails, "messages": sent}); err != nil {
		return err
	}
	h.Logger.Info("release test sent", "release_id", id, "addresses", len(emails), "messages", sent)
	writeJSON(w, http.StatusAccepted, testSend{Sent: sent, Languages: rel.Languages(), Variants: variants})
	return nil
}

// testAddresses checks the addresses of a test send, naming each problem.
func testAddresses(in []string) ([]string, error) {
	var bad []string
	switch {
	case len(in) == 0:
		bad = append(bad, "emails: at least one address is required")
	case len(in) > maxTestAddresses:
		bad = append(bad, fmt.Sprintf("emails: at most %d addresses, not %d", maxTestAddresses, len(in)))
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for i, e := range in {
		e = strings.TrimSpace(e)
		if problem := contacts.CheckEmail(e); problem != "" {
			bad = append(bad, fmt.Sprintf("emails[%d]: %s", i, problem))
			continue
		}
		if seen[strings.ToLower(e)] {
			bad = append(bad, fmt.Sprintf("emails[%d]: %q is listed twice", i, e))
			continue
		}
		seen[strings.ToLower(e)] = true
		out = append(out, e)
	}
	return out, communique.Invalid("invalid test send", bad)
}

// testMessage is pv for address to, marked as a test: no unsubscribe
// link, since the address is not a subscriber, and a Message-ID of its
// own so no reply or bounce is taken for a delivery's.
func (h *Handler) testMessage(pv *templates.Preview, id int64, to string) *mailer.Message {
	text, html := pv.Personalize(templates.Recipient{Email: to, TimeZone: "UTC"})
	nonce := make([]byte, 8)
	rand.Read(nonce)
	return &mailer.Message{
		FromName: h.FromName, FromEmail: h.FromEmail,
		ToEmail:   to,
		ReplyTo:   pv.ReplyTo,
		MessageID: fmt.Sprintf("test-%s.release-%d@%s", hex.EncodeToString(nonce), id, h.FromEmail[strings.LastIndex(h.FromEmail, "@")+1:]),
		Language:  pv.Language(),
		Subject:   testSubjectPrefix + pv.Subject(),
		Text:      text, HTML: html,
		Date: time.Now(),
	}
}
