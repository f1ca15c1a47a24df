package office

import (
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// testSend queues a test of every language and message of a release to
// the signed-in user, or to the addresses the form lists, as POST
// /api/v1/releases/{id}/test does; the mail goes with the transaction
// that records it, never from here.
func (h *Handler) testSend(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v := h.relView(r, "preview_title")
	raw := r.PostFormValue("emails")
	emails := splitAddresses(raw)
	if len(emails) == 0 {
		emails = []string{u.Email}
	}
	// Each problem in the page's language, before the queue checks the
	// same things again in the API's words.
	if len(emails) > templates.MaxTestAddresses {
		v.problem("test-emails", "testsend_label", v.T("testsend_too_many", templates.MaxTestAddresses, len(emails)))
	}
	seen := map[string]bool{}
	for _, e := range emails {
		switch {
		case contacts.CheckEmail(e) != "":
			v.problem("test-emails", "testsend_label", v.T("testsend_bad_address", e))
		case seen[strings.ToLower(e)]:
			v.problem("test-emails", "testsend_label", v.T("testsend_twice", e))
		}
		seen[strings.ToLower(e)] = true
	}
	if len(v.problems) > 0 {
		v.values["emails"] = raw
		h.showPreview(w, r, id, http.StatusUnprocessableEntity, v)
		return
	}
	brand, err := branding.Load(r.Context(), h.cfg.DB)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	sent, err := templates.QueueTest(r.Context(), h.cfg.DB, templates.TestSend{ReleaseID: id,
		FromName: h.cfg.FromName, FromEmail: h.cfg.FromEmail, Emails: emails, Actor: actor(u), Brand: brand.Mail(h.cfg.BaseURL)})
	switch code := communique.ErrorCode(err); {
	case err == nil:
	case code == communique.EINVALID || code == communique.EUNAVAILABLE:
		v.values["emails"] = raw
		v.Error = communique.ErrorMessage(err)
		if d := communique.ErrorDetails(err); len(d) > 0 {
			v.Error += v.T("colon") + " " + strings.Join(d, "; ")
		}
		h.showPreview(w, r, id, communique.HTTPStatus(code), v)
		return
	default:
		h.relFailed(w, r, err)
		return
	}
	h.log.Info("release test queued", "release_id", id, "actor", actor(u), "addresses", len(emails), "messages", sent.Queued)
	h.flash(r.Context(), "flash_test", v.testSentence(sent, emails))
	http.Redirect(w, r, "/office/releases/"+strconv.FormatInt(id, 10)+"/preview", http.StatusSeeOther)
}

// splitAddresses reads the addresses of the form: separated by commas,
// semicolons, spaces or lines, as people paste them.
func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// testSentence says what a test send queued: "4 test messages queued to
// you@example.org: English and French, public and embargoed".
func (v *relView) testSentence(sent *templates.TestSent, emails []string) string {
	names := display.Tags(language.Make(v.Lang))
	langs := make([]string, len(sent.Languages))
	for i, l := range sent.Languages {
		if langs[i] = names.Name(language.Make(l)); langs[i] == "" {
			langs[i] = l
		}
	}
	variants := make([]string, len(sent.Variants))
	for i, m := range sent.Variants {
		variants[i] = v.T("testsend_variant_" + m)
	}
	key := "testsend_queued"
	if sent.Queued == 1 {
		key = "testsend_queued_one"
	}
	return v.T(key, v.Count(sent.Queued), v.series(emails), v.series(langs), v.series(variants))
}

// series joins a list as a sentence does: "a, b and c".
func (v *relView) series(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + v.T("and") + s[len(s)-1]
}

// TestTo is what the test form's address field holds: what was typed,
// else the signed-in user's own address.
func (v *relView) TestTo() string {
	if s, ok := v.values["emails"]; ok {
		return s
	}
	if v.User != nil {
		return v.User.Email
	}
	return ""
}

// MaxTest is how many addresses one test send takes.
func (v *relView) MaxTest() int { return templates.MaxTestAddresses }
