package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
)

// maxTestAddresses bounds a test send: every language and variant goes
// to each address.
const maxTestAddresses = 10

// testSubjectPrefix marks a test message's subject; the mark is the same
// in every language, so it is found the same way in every inbox.
const testSubjectPrefix = "[TEST] "

// testSend is the answer of POST /api/v1/releases/{id}/test.
type testSend struct {
	Queued     int      `json:"queued"`
	Languages  []string `json:"languages"`
	Variants   []string `json:"variants"`
	MessageIDs []int64  `json:"message_ids"`
}

// testRelease queues every language and variant of a release for a few
// addresses, as its readers would get them but marked as a test, with
// its audit entry in one transaction; the dispatcher sends them ahead of
// release traffic, and GET /api/v1/messages?release_id= shows how each
// fared. It records no dispatch or delivery and reads or changes no
// contact: the addresses need not be contacts at all.
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
	if h.FromEmail == "" {
		return communique.Errorf(communique.EUNAVAILABLE, "no sender is configured (COMMUNIQUE_FROM): test messages cannot be sent")
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
	ids := make([]int64, 0, len(emails)*len(messages))
	err = postgres.Tx(r.Context(), h.DB, func(tx *sqlx.Tx) error {
		for i, to := range emails {
			for _, pv := range messages {
				mid, err := mailqueue.Enqueue(r.Context(), tx, h.testMessage(pv, id, to), mailqueue.Meta{Kind: mailqueue.KindTest, ReleaseID: id})
				if communique.ErrorCode(err) == communique.EINVALID {
					return communique.Invalid("invalid test send", []string{fmt.Sprintf("emails[%d]: %q: %s", i, to, strings.Join(communique.ErrorDetails(err), "; "))})
				}
				if err != nil {
					return err
				}
				ids = append(ids, mid)
			}
		}
		return releases.RecordAudit(r.Context(), tx, actor(r), "test", id,
			map[string]any{"emails": emails, "messages": len(ids), "message_ids": ids})
	})
	if err != nil {
		return err
	}
	h.Logger.Info("release test queued", "release_id", id, "addresses", len(emails), "messages", len(ids))
	writeJSON(w, http.StatusAccepted, testSend{Queued: len(ids), Languages: rel.Languages(), Variants: variants, MessageIDs: ids})
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
