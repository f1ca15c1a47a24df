package web

import (
	"net/http"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// confirmPage shows the button that confirms a subscription. Following the
// link changes nothing, because mail security scanners follow every link
// in a message: a subscription must be confirmed by a person.
func (p *public) confirmPage(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "confirm")
	if !ok {
		return
	}
	switch c.Status {
	case contacts.StatusPending:
		p.showConfirm(w, r, http.StatusOK, lang, c, nil)
	case contacts.StatusActive:
		p.confirmed(w, r, lang, c, contacts.AlreadyActive)
	default:
		p.confirmed(w, r, lang, c, contacts.NotPending)
	}
}

func (p *public) showConfirm(w http.ResponseWriter, r *http.Request, status int, lang string, c *contacts.Contact, errs []string) {
	pg := p.newPage(r, lang, "confirm_title")
	pg.Email, pg.Errors, pg.CSRF = c.Email, errs, p.csrfToken(w, r)
	p.render(w, r, status, "confirm", pg)
}

// confirm activates the subscription and records the confirmation.
func (p *public) confirm(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "confirm")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil || !p.csrfValid(r) {
		p.showConfirm(w, r, http.StatusForbidden, lang, c, []string{"err_csrf"})
		return
	}
	ip := p.h.clientIP(r)
	c, outcome, err := contacts.Confirm(r.Context(), p.h.DB, c.ID, ip)
	if err != nil {
		p.failed(w, r, lang, err)
		return
	}
	p.h.Logger.Info("subscription confirmed", "contact_id", c.ID, "outcome", string(outcome), "client", ip)
	p.confirmed(w, r, lang, c, outcome)
}

// confirmed says what a confirmation did, with a link to the preferences
// of a subscriber who receives releases.
func (p *public) confirmed(w http.ResponseWriter, r *http.Request, lang string, c *contacts.Contact, outcome contacts.ConfirmOutcome) {
	title, body := "confirmed_title", "confirmed_body"
	switch outcome {
	case contacts.AlreadyActive:
		title, body = "already_title", "already_body"
	case contacts.NotPending:
		title, body = "stale_title", "stale_body"
		if c.Status != contacts.StatusUnsubscribed {
			title, body = "refused_title", "refused_body"
		}
	case contacts.ConfirmRefused:
		title, body = "refused_title", "refused_body"
	}
	pg := p.newPage(r, lang, title)
	pg.Body, pg.Email, pg.Status = body, c.Email, c.Status
	if c.Status == contacts.StatusActive {
		pg.Links = []pageLink{{URL: p.preferencesURL(c.ID, lang), Key: "manage", Button: true}}
	} else if title == "stale_title" {
		pg.Links = []pageLink{{URL: withLang("/subscribe", lang), Key: "subscribe_again", Button: true}}
	}
	p.render(w, r, http.StatusOK, "message", pg)
}

// tokenContact verifies the path's token for purpose and loads its
// contact, answering with the invalid-link page itself when it cannot. The
// page language follows ?lang=, then the contact's languages.
func (p *public) tokenContact(w http.ResponseWriter, r *http.Request, purpose string) (*contacts.Contact, string, bool) {
	id, err := p.h.Signer.Verify(purpose, r.PathValue("token"), p.now())
	if err != nil {
		p.invalidLink(w, r, pageLanguage(r, nil))
		return nil, "", false
	}
	c, err := contacts.Get(r.Context(), p.h.DB, id)
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		p.invalidLink(w, r, pageLanguage(r, nil))
		return nil, "", false
	}
	if err != nil {
		p.failed(w, r, pageLanguage(r, nil), err)
		return nil, "", false
	}
	return c, pageLanguage(r, c.Languages), true
}

func (p *public) preferencesURL(id int64, lang string) string {
	return withLang("/preferences/"+p.h.Signer.Token("preferences", id, p.now().Add(preferencesTTL)), lang)
}

func (p *public) unsubscribeURL(id int64, lang string) string {
	// The dispatcher's form of the link, which never expires.
	return withLang("/unsubscribe/"+p.h.Signer.Token("unsubscribe", id, time.Time{}), lang)
}
