package web

import (
	"net/http"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// preferencesPage shows a subscriber's subscriptions, languages and time
// zone in a form that changes them.
func (p *public) preferencesPage(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "preferences")
	if !ok {
		return
	}
	sel := selection{Email: c.Email, Name: c.Name, Organisation: c.Organisation, Regions: c.Regions,
		Countries: c.Countries, Topics: c.Topics, Languages: c.Languages, Timezone: c.Timezone}
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "prefs_saved"
	}
	p.showPreferences(w, r, http.StatusOK, lang, c, sel, notice, formErrors{})
}

func (p *public) showPreferences(w http.ResponseWriter, r *http.Request, status int, lang string, c *contacts.Contact, sel selection, notice string, fe formErrors) {
	form, err := p.newFormView(r.Context(), lang, sel)
	if err != nil {
		p.failed(w, r, lang, err)
		return
	}
	pg := p.newPage(r, lang, "prefs_title")
	pg.Form, pg.Email, pg.Status, pg.Notice = form, c.Email, c.Status, notice
	fe.apply(pg)
	pg.CSRF = p.csrfToken(w, r)
	pg.Links = []pageLink{{URL: p.unsubscribeURL(c.ID, lang), Key: "unsub_link"}}
	switch c.Status {
	case contacts.StatusActive:
	case contacts.StatusPending:
		pg.Notice = firstOf(notice, "prefs_pending")
	default:
		pg.Notice = "prefs_inactive"
		pg.Links = []pageLink{{URL: withLang("/subscribe", lang), Key: "subscribe_again"}}
	}
	p.render(w, r, status, "preferences", pg)
}

// savePreferences stores the form and shows the page again (POST, then
// redirect, so reloading does not post twice).
func (p *public) savePreferences(w http.ResponseWriter, r *http.Request) {
	c, lang, ok := p.tokenContact(w, r, "preferences")
	if !ok {
		return
	}
	if !p.parseForm(w, r, lang) {
		return
	}
	sel, problems := readSelection(r.PostForm, false)
	sel.Email = c.Email
	if !p.csrfValid(r) {
		p.showPreferences(w, r, http.StatusForbidden, lang, c, sel, "", formErrors{keys: []string{"err_csrf"}})
		return
	}
	if fe := checkSelection(sel, false, problems); fe.any() {
		p.showPreferences(w, r, http.StatusUnprocessableEntity, lang, c, sel, "", fe)
		return
	}
	_, err := contacts.SetPreferences(r.Context(), p.h.DB, c.ID, contacts.Preferences{
		Name: sel.Name, Organisation: sel.Organisation, Languages: sel.Languages, Timezone: sel.Timezone,
		Regions: sel.Regions, Countries: sel.Countries, Topics: sel.Topics,
	})
	switch {
	case communique.ErrorCode(err) == communique.EINVALID:
		p.showPreferences(w, r, http.StatusUnprocessableEntity, lang, c, sel, "",
			formErrors{keys: []string{"err_form"}, details: communique.ErrorDetails(err)})
		return
	case err != nil:
		p.failed(w, r, lang, err)
		return
	}
	p.h.Logger.Info("preferences changed", "contact_id", c.ID)
	http.Redirect(w, r, withLang(r.URL.Path, lang)+"&saved=1", http.StatusSeeOther)
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
