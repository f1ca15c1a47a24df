package web

import (
	"net/http"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// unsubscribePage only shows a button, because link scanners follow every
// link in a message; the button, or a mail client's one-click request,
// posts to unsubscribe. It offers the preferences only by mail (see
// mailPreferencesLink).
func (p *public) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "unsubscribe")
	if !ok {
		return
	}
	if c.Status != contacts.StatusActive && c.Status != contacts.StatusPending {
		p.unsubscribed(w, r, lang, c)
		return
	}
	p.showUnsubscribe(w, r, http.StatusOK, lang, c, nil)
}

// unsubscribe unsubscribes at once. It takes the RFC 8058 one-click POST
// ("List-Unsubscribe=One-Click") that mail clients send without cookies,
// and the page's button, alike: the link's token is the proof.
func (p *public) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, err := p.h.Signer.Verify("unsubscribe", r.PathValue("token"), p.now())
	if err != nil {
		p.invalidLink(w, r, pageLanguage(r, nil))
		return
	}
	c, err := contacts.Unsubscribe(r.Context(), p.h.DB, id, "unsubscribe link")
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		p.invalidLink(w, r, pageLanguage(r, nil))
		return
	}
	if err != nil {
		p.failed(w, r, pageLanguage(r, nil), err)
		return
	}
	p.h.Logger.Info("contact unsubscribed", "contact_id", id)
	p.unsubscribed(w, r, pageLanguage(r, c.Languages), c)
}

func (p *public) unsubscribed(w http.ResponseWriter, r *http.Request, lang string, c *contacts.Contact) {
	pg := p.newPage(r, lang, "unsubbed_title")
	pg.Body, pg.Email = "unsubbed_body", c.Email
	pg.Notice = "unsubbed_again"
	pg.Links = []pageLink{{URL: withLang("/subscribe", lang), Key: "subscribe_again"}}
	p.render(w, r, http.StatusOK, "message", pg)
}
