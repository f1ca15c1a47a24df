package templates

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
)

// MaxTestAddresses bounds a test send: every language and variant goes
// to each address, so ten addresses of a four-language release under
// embargo are already eighty messages.
const MaxTestAddresses = 10

// TestSubjectPrefix marks a test message's subject; the mark is the same
// in every language, so it is found the same way in every inbox.
const TestSubjectPrefix = "[TEST] "

// TestSend is a test send of a release: who it is from, to and by.
type TestSend struct {
	ReleaseID           int64
	FromName, FromEmail string
	// Emails are the addresses, checked by CheckTestAddresses.
	Emails []string
	// Actor names who asked for it in the audit log.
	Actor string
	// Brand is the organisation's branding, shown as readers see it.
	Brand Brand
}

// TestSent is what a test send queued.
type TestSent struct {
	Queued     int      `json:"queued"`
	Languages  []string `json:"languages"`
	Variants   []string `json:"variants"`
	MessageIDs []int64  `json:"message_ids"`
}

// QueueTest queues every language and variant of a release for a few
// addresses, as its readers would get them but marked as a test, with
// its audit entry in one transaction; the dispatcher sends them ahead of
// release traffic. It records no dispatch or delivery and reads or
// changes no contact: the addresses need not be contacts at all. An
// embargoed notice is part of it while the release has an embargo still
// to come (a draft or an embargoed release).
func QueueTest(ctx context.Context, db *sqlx.DB, ts TestSend) (*TestSent, error) {
	emails, err := CheckTestAddresses(ts.Emails)
	if err != nil {
		return nil, err
	}
	if ts.FromEmail == "" {
		return nil, communique.Errorf(communique.EUNAVAILABLE, "no sender is configured (COMMUNIQUE_FROM): test messages cannot be sent")
	}
	rel, err := releases.Get(ctx, db, ts.ReleaseID)
	if err != nil {
		return nil, err
	}
	variants := []string{VariantPublic}
	if rel.EmbargoUntil != nil && (rel.Status == releases.StatusDraft || rel.Status == releases.StatusEmbargoed) {
		variants = append(variants, VariantEmbargoed)
	}
	ov, err := LoadOverrides(ctx, db)
	if err != nil {
		return nil, err
	}
	ov = ov.WithBrand(ts.Brand)
	// Rendered once per language and variant, then personalized per address.
	var previews []*Preview
	for _, lang := range rel.Languages() {
		for _, v := range variants {
			pv, err := LoadPreview(ctx, db, ov, ts.ReleaseID, v, lang)
			if err != nil {
				return nil, err
			}
			previews = append(previews, pv)
		}
	}
	ids := make([]int64, 0, len(emails)*len(previews))
	err = postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		for i, to := range emails {
			for _, pv := range previews {
				mid, err := mailqueue.Enqueue(ctx, tx, ts.message(pv, to), mailqueue.Meta{Kind: mailqueue.KindTest, ReleaseID: ts.ReleaseID})
				if communique.ErrorCode(err) == communique.EINVALID {
					return communique.Invalid("invalid test send", []string{fmt.Sprintf("emails[%d]: %q: %s", i, to, strings.Join(communique.ErrorDetails(err), "; "))})
				}
				if err != nil {
					return err
				}
				ids = append(ids, mid)
			}
		}
		return releases.RecordAudit(ctx, tx, ts.Actor, "test", ts.ReleaseID,
			map[string]any{"emails": emails, "messages": len(ids), "message_ids": ids})
	})
	if err != nil {
		return nil, err
	}
	return &TestSent{Queued: len(ids), Languages: rel.Languages(), Variants: variants, MessageIDs: ids}, nil
}

// CheckTestAddresses checks the addresses of a test send, naming each
// problem by its place in the list, and returns them trimmed.
func CheckTestAddresses(in []string) ([]string, error) {
	var bad []string
	switch {
	case len(in) == 0:
		bad = append(bad, "emails: at least one address is required")
	case len(in) > MaxTestAddresses:
		bad = append(bad, fmt.Sprintf("emails: at most %d addresses, not %d", MaxTestAddresses, len(in)))
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

// message is pv for address to, marked as a test: no unsubscribe link,
// since the address is not a subscriber, and a Message-ID of its own so
// no reply or bounce is taken for a delivery's.
func (ts TestSend) message(pv *Preview, to string) *mailer.Message {
	text, html := pv.Personalize(Recipient{Email: to, TimeZone: "UTC"})
	nonce := make([]byte, 8)
	rand.Read(nonce)
	return &mailer.Message{
		FromName: ts.FromName, FromEmail: ts.FromEmail,
		ToEmail:   to,
		ReplyTo:   pv.ReplyTo,
		MessageID: fmt.Sprintf("test-%s.release-%d@%s", hex.EncodeToString(nonce), ts.ReleaseID, ts.FromEmail[strings.LastIndex(ts.FromEmail, "@")+1:]),
		Language:  pv.Language(),
		Subject:   TestSubjectPrefix + pv.Subject(),
		Text:      text, HTML: html,
		Date: time.Now(),
	}
}
