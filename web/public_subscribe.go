package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/templates"
)

// formErrors are what a submitted public form gets back: keys of
// problems with the form as a whole, problems of single fields, and
// problems in English that only a forged form can cause.
type formErrors struct {
	keys     []string
	problems []fieldProblem
	details  []string
}

func (fe formErrors) any() bool { return len(fe.keys)+len(fe.problems)+len(fe.details) > 0 }

func (fe formErrors) apply(pg *page) {
	pg.Errors, pg.Problems, pg.Details = fe.keys, fe.problems, fe.details
}

// subscribeForm shows the subscription form.
func (p *public) subscribeForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, nil)
	p.showSubscribe(w, r, http.StatusOK, lang, selection{}, formErrors{})
}

func (p *public) showSubscribe(w http.ResponseWriter, r *http.Request, status int, lang string, sel selection, fe formErrors) {
	form, err := p.newFormView(r.Context(), lang, sel)
	if err != nil {
		p.failed(w, r, lang, err)
		return
	}
	pg := p.newPage(r, lang, "subscribe_title")
	pg.Form = form
	fe.apply(pg)
	pg.CSRF = p.csrfToken(w, r)
	p.render(w, r, status, "subscribe", pg)
}

// subscribe takes a subscription request. It checks what the form says,
// answers, and only then looks at the address: recording it as a pending
// contact and mailing it a link to confirm, mailing an active one a link
// that leads to its preferences, or doing nothing for a refused one. The
// answer is the same page, after the same work, whoever the address
// belongs to, so it tells nobody who is on the list.
func (p *public) subscribe(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, nil)
	if !p.parseForm(w, r, lang) {
		return
	}
	sel, problems := readSelection(r.PostForm, true)
	if !p.csrfValid(r) {
		p.showSubscribe(w, r, http.StatusForbidden, lang, sel, formErrors{keys: []string{"err_csrf"}})
		return
	}
	ip := p.h.clientIP(r)
	if !p.allowClient(w, r, lang, ip) {
		return
	}
	if fe := checkSelection(sel, true, problems); fe.any() {
		p.showSubscribe(w, r, http.StatusUnprocessableEntity, lang, sel, fe)
		return
	}
	req := contacts.SubscriptionRequest{
		Email: sel.Email, Name: sel.Name, Organisation: sel.Organisation, Languages: sel.Languages,
		Timezone: sel.Timezone, Regions: sel.Regions, Countries: sel.Countries, Topics: sel.Topics,
		Source: "subscribe form (" + lang + ")", IP: ip,
	}
	switch err := contacts.CheckSubscription(r.Context(), p.h.DB, req); {
	case communique.ErrorCode(err) == communique.EINVALID:
		p.showSubscribe(w, r, http.StatusUnprocessableEntity, lang, sel,
			formErrors{keys: []string{"err_form"}, details: communique.ErrorDetails(err)})
		return
	case err != nil:
		p.failed(w, r, lang, err)
		return
	}
	if !p.canMail(w, r, lang) {
		return
	}
	if !p.background.submit("subscription request", func(ctx context.Context) error {
		return p.requestSubscription(ctx, req, lang)
	}) {
		p.busy(w, r, lang)
		return
	}
	p.sent(w, r, lang, sel.Email)
}

// requestSubscription records req and, in the same transaction, queues
// the mail its outcome calls for: the dispatcher sends it whenever the
// relay takes it.
func (p *public) requestSubscription(ctx context.Context, req contacts.SubscriptionRequest, lang string) error {
	id, outcome, err := contacts.RequestSubscriptionMail(ctx, p.h.DB, req,
		func(ctx context.Context, tx *sqlx.Tx, id int64, to string, _ contacts.RequestOutcome) error {
			token := p.h.Signer.Token("confirm", id, p.now().Add(confirmTTL))
			ov, err := p.mailBrand(ctx)
			if err != nil {
				return err
			}
			m, err := templates.ConfirmationWith(ov, lang, "", p.link("/confirm/"+token, lang))
			if err != nil {
				return fmt.Errorf("render confirmation of contact %d: %w", id, err)
			}
			// The address as typed in the request, not as once stored.
			_, err = mailqueue.Enqueue(ctx, tx, p.mailTo(req.Email, m),
				mailqueue.Meta{Kind: mailqueue.KindConfirmation, ContactID: id})
			return err
		})
	if err != nil {
		return fmt.Errorf("subscription request: %w", err)
	}
	switch outcome {
	case contacts.RequestPending, contacts.RequestActive:
		p.h.Logger.Info("subscription requested; confirmation queued", "contact_id", id, "outcome", string(outcome), "client", req.IP)
	case contacts.RequestLimited:
		p.h.Logger.Warn("confirmation mails to an address limited", "contact_id", id, "client", req.IP)
	default:
		p.h.Logger.Info("subscription requested", "outcome", string(outcome), "client", req.IP)
	}
	return nil
}

// parseForm reads a public form's body, bounded, answering a body that is
// not a form itself.
func (p *public) parseForm(w http.ResponseWriter, r *http.Request, lang string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		p.message(w, r, http.StatusBadRequest, lang, "err_title", "err_form")
		return false
	}
	return true
}

// allowClient counts a request that leads to a mail against its client's
// limit, answering 429 itself when it is over.
func (p *public) allowClient(w http.ResponseWriter, r *http.Request, lang, ip string) bool {
	switch p.byClient.allow(clientKey(ip), p.now()) {
	case limited:
		p.h.Logger.Warn("public requests limited", "client", ip)
		p.message(w, r, http.StatusTooManyRequests, lang, "limited_title", "limited_body")
		return false
	case full:
		p.h.Logger.Warn("public request refused: too many clients at once", "client", ip)
		p.busy(w, r, lang)
		return false
	}
	return true
}

// busy answers a request the service cannot take now, whoever sends it.
func (p *public) busy(w http.ResponseWriter, r *http.Request, lang string) {
	p.message(w, r, http.StatusTooManyRequests, lang, "limited_title", "busy_body")
}

// canMail answers, when no sender is configured, that the page cannot
// do its work: a fault of the configuration, the same for every address.
// Whether the relay is up does not matter here: the mail waits in the
// queue until it is.
func (p *public) canMail(w http.ResponseWriter, r *http.Request, lang string) bool {
	if p.h.FromEmail != "" {
		return true
	}
	p.h.Logger.Error("no mail sender is configured (COMMUNIQUE_FROM)")
	p.message(w, r, http.StatusServiceUnavailable, lang, "mail_title", "mail_body")
	return false
}

// checkSelection returns what a subscriber must fix: the problems of the
// fields read, then what they do not tell, a valid address (when the form
// has one) and a choice, all at once.
func checkSelection(sel selection, withEmail bool, problems []fieldProblem) formErrors {
	fe := formErrors{problems: problems}
	hasProblem := slices.ContainsFunc(problems, func(p fieldProblem) bool { return p.ID == "email" })
	if withEmail && !hasProblem && contacts.CheckEmail(sel.Email) != "" {
		fe.problems = append(fe.problems, fieldProblem{ID: "email", Label: "email", Key: "err_email"})
	}
	if len(sel.Regions)+len(sel.Countries)+len(sel.Topics) == 0 {
		fe.keys = append(fe.keys, "err_choose")
	}
	return fe
}

func (p *public) sent(w http.ResponseWriter, r *http.Request, lang, email string) {
	pg := p.newPage(r, lang, "sent_title")
	pg.Email = email
	p.render(w, r, http.StatusOK, "sent", pg)
}

// mailTo is m, a message a subscriber asked for, to the bare address: no
// display name, since the only one known is what the requester typed.
func (p *public) mailTo(to string, m *templates.ConfirmationMail) *mailer.Message {
	domain := p.h.FromEmail[strings.LastIndexByte(p.h.FromEmail, '@')+1:]
	return &mailer.Message{
		FromName: p.h.FromName, FromEmail: p.h.FromEmail, ToEmail: to,
		MessageID: randomID() + "@" + domain,
		ListID:    strings.TrimSpace(p.h.FromName + " subscriptions <subscriptions." + domain + ">"),
		Language:  m.Language, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Date: p.now(),
	}
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
