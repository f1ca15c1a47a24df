package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/templates"
)

// showUnsubscribe shows the unsubscribe page of contact c. An unsubscribe
// link never expires and travels with every release a subscriber
// forwards, so its page shows no profile and hands out no link to one: it
// offers the preferences only through a link mailed to the address.
func (p *public) showUnsubscribe(w http.ResponseWriter, r *http.Request, status int, lang string, c *contacts.Contact, errs []string) {
	pg := p.newPage(r, lang, "unsub_title")
	base := "/unsubscribe/" + r.PathValue("token")
	pg.Action, pg.LinkAction = withLang(base, lang), withLang(base+"/preferences", lang)
	pg.Email, pg.Errors = c.Email, errs
	pg.CSRF = p.csrfToken(w, r)
	p.render(w, r, status, "unsubscribe", pg)
}

// mailPreferencesLink mails the address of an unsubscribe link a link to
// its preferences, and says so, whatever the contact's state, without
// showing anything of its profile. The mail goes after the answer, and at
// most contacts.MaxRequestedMails times a day.
func (p *public) mailPreferencesLink(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "unsubscribe")
	if !ok {
		return
	}
	if !p.parseForm(w, r, lang) {
		return
	}
	if !p.csrfValid(r) {
		p.showUnsubscribe(w, r, http.StatusForbidden, lang, c, []string{"err_csrf"})
		return
	}
	if !p.allowClient(w, r, lang, p.h.clientIP(r)) || !p.canMail(w, r, lang) {
		return
	}
	id := c.ID
	if !p.background.submit("preferences link", func(ctx context.Context) error {
		return p.sendPreferencesLink(ctx, id, lang)
	}) {
		p.busy(w, r, lang)
		return
	}
	p.message(w, r, http.StatusOK, lang, "prefs_link_title", "prefs_link_body")
}

// sendPreferencesLink queues a fresh link to its preferences for contact
// id, in the transaction that counts it, unless it receives nothing or
// had its share of such mails today.
func (p *public) sendPreferencesLink(ctx context.Context, id int64, lang string) error {
	c, due, err := contacts.RequestPreferencesLinkMail(ctx, p.h.DB, id,
		func(ctx context.Context, tx *sqlx.Tx, id int64, to string, _ contacts.RequestOutcome) error {
			ov, err := p.mailBrand(ctx)
			if err != nil {
				return err
			}
			m, err := templates.PreferencesLinkWith(ov, lang, strings.TrimRight(p.h.BaseURL, "/")+p.preferencesURL(id, lang))
			if err != nil {
				return fmt.Errorf("render preferences link of contact %d: %w", id, err)
			}
			_, err = mailqueue.Enqueue(ctx, tx, p.mailTo(to, m), mailqueue.Meta{Kind: mailqueue.KindPreferences, ContactID: id})
			return err
		})
	if err != nil {
		return fmt.Errorf("preferences link of contact %d: %w", id, err)
	}
	if !due {
		p.h.Logger.Info("preferences link not sent", "contact_id", id, "status", c.Status)
		return nil
	}
	p.h.Logger.Info("preferences link queued", "contact_id", id)
	return nil
}
