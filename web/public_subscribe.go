package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/templates"
)

// subscribeForm shows the subscription form.
func (p *public) subscribeForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, nil)
	p.showSubscribe(w, r, http.StatusOK, lang, selection{}, nil, nil)
}

func (p *public) showSubscribe(w http.ResponseWriter, r *http.Request, status int, lang string, sel selection, errs, details []string) {
	form, err := p.newFormView(r.Context(), lang, sel)
	if err != nil {
		p.failed(w, r, lang, err)
		return
	}
	pg := p.newPage(r, lang, "subscribe_title")
	pg.Form, pg.Errors, pg.Details = form, errs, details
	pg.CSRF = p.csrfToken(w, r)
	p.render(w, r, status, "subscribe", pg)
}

// subscribe takes a subscription request: it records the address as a
// pending contact with its consent and mails it a link to confirm. The
// answer is the same whether or not the address may subscribe, so the
// page tells nobody who is on the list.
func (p *public) subscribe(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, nil)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		p.message(w, r, http.StatusBadRequest, lang, "err_title", "err_form")
		return
	}
	sel, ok := parseSelection(r)
	if !p.csrfValid(r) {
		p.showSubscribe(w, r, http.StatusForbidden, lang, sel, []string{"err_csrf"}, nil)
		return
	}
	ip := clientIP(r)
	if !p.byClient.allow(clientKey(ip), p.now()) {
		p.h.Logger.Warn("subscription requests limited", "client", ip)
		p.message(w, r, http.StatusTooManyRequests, lang, "limited_title", "limited_body")
		return
	}
	if errs := checkSelection(sel, ok, true); len(errs) > 0 {
		p.showSubscribe(w, r, http.StatusUnprocessableEntity, lang, sel, errs, nil)
		return
	}
	if !p.byAddress.allow(strings.ToLower(sel.Email), p.now()) {
		p.h.Logger.Warn("confirmation mails to an address limited", "client", ip)
		p.sent(w, r, lang, sel.Email)
		return
	}
	id, outcome, err := contacts.RequestSubscription(r.Context(), p.h.DB, contacts.SubscriptionRequest{
		Email: sel.Email, Name: sel.Name, Organisation: sel.Organisation, Languages: sel.Languages,
		Timezone: sel.Timezone, Regions: sel.Regions, Countries: sel.Countries, Topics: sel.Topics,
		Source: "subscribe form (" + lang + ")", IP: ip,
	})
	switch {
	case communique.ErrorCode(err) == communique.EINVALID:
		p.showSubscribe(w, r, http.StatusUnprocessableEntity, lang, sel, []string{"err_form"}, communique.ErrorDetails(err))
		return
	case err != nil:
		p.failed(w, r, lang, err)
		return
	}
	p.h.Logger.Info("subscription requested", "contact_id", id, "outcome", string(outcome), "client", ip)
	if outcome != contacts.RequestRefused {
		if err := p.sendConfirmation(r.Context(), lang, sel.Name, sel.Email, id); err != nil {
			p.h.Logger.Error("send confirmation", "contact_id", id, "error", err)
			p.message(w, r, http.StatusServiceUnavailable, lang, "mail_title", "mail_body")
			return
		}
	}
	p.sent(w, r, lang, sel.Email)
}

// checkSelection returns the keys of what a subscriber must fix, the
// address included when the form has one.
func checkSelection(sel selection, sane, withEmail bool) []string {
	if !sane {
		return []string{"err_form"}
	}
	var errs []string
	if withEmail && contacts.CheckEmail(sel.Email) != "" {
		errs = append(errs, "err_email")
	}
	if len(sel.Regions)+len(sel.Countries)+len(sel.Topics) == 0 {
		errs = append(errs, "err_choose")
	}
	return errs
}

func (p *public) sent(w http.ResponseWriter, r *http.Request, lang, email string) {
	pg := p.newPage(r, lang, "sent_title")
	pg.Email = email
	p.render(w, r, http.StatusOK, "sent", pg)
}

// sendConfirmation mails the double opt-in link of contact id, in the
// language of the page the request came from.
func (p *public) sendConfirmation(ctx context.Context, lang, name, email string, id int64) error {
	if p.h.SendMail == nil || p.h.FromEmail == "" {
		return errors.New("no mail sender is configured (COMMUNIQUE_SMTP_URL, COMMUNIQUE_FROM)")
	}
	token := p.h.Signer.Token("confirm", id, p.now().Add(confirmTTL))
	m, err := templates.Confirmation(lang, name, p.link("/confirm/"+token, lang))
	if err != nil {
		return fmt.Errorf("render confirmation: %w", err)
	}
	domain := p.h.FromEmail[strings.LastIndexByte(p.h.FromEmail, '@')+1:]
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return p.h.SendMail(ctx, &mailer.Message{
		FromName: p.h.FromName, FromEmail: p.h.FromEmail, ToName: name, ToEmail: email,
		MessageID: randomID() + "@" + domain,
		ListID:    strings.TrimSpace(p.h.FromName + " subscriptions <subscriptions." + domain + ">"),
		Language:  m.Language, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Date: p.now(),
	})
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
