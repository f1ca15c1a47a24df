package office

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/users"
)

// contactsView is what the contacts pages show.
type contactsView struct {
	*relView
	List    []contacts.Contact
	Filter  contacts.Filter
	NextURL string
	// Missions is set on the missions page: the list of kind mission,
	// with the country each represents.
	Missions   bool
	Contact    *contacts.Contact
	Suppressed *contacts.Suppression
	Result     *contacts.ImportResult
	Sups       []contacts.Suppression
	Reason     string
	Kinds      []string
	Statuses   []string
	Reasons    []string
	MaxUpload  string
}

var contactKinds = []string{contacts.KindJournalist, contacts.KindMission, contacts.KindPressOfficer}

var contactStatuses = []string{"active", "pending", "unsubscribed", "bounced", "blocked"}

var suppressionReasons = []string{contacts.ReasonUnsubscribed, contacts.ReasonBounced, contacts.ReasonComplained, contacts.ReasonBlocked}

func (h *Handler) contactsView(r *http.Request, title string) *contactsView {
	return &contactsView{relView: h.relView(r, title), Kinds: contactKinds, Statuses: contactStatuses, Reasons: suppressionReasons}
}

// CountryName names a country in the page's language.
func (v *contactsView) CountryName(code string) string {
	if n := taxonomy.CountryName(code, v.Lang); n != "" {
		return n
	}
	return code
}

// KindName names a kind of contact.
func (v *contactsView) KindName(k string) string { return v.T("kind_" + k) }

// CStatus names a contact's status.
func (v *contactsView) CStatus(s string) string { return v.T("cstatus_" + s) }

// ReasonName names a suppression's reason.
func (v *contactsView) ReasonName(s string) string { return v.T("reason_" + s) }

// contactList shows contacts, filtered and a page at a time.
func (h *Handler) contactList(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.listContacts(w, r, h.contactsView(r, "contacts_title"), false)
}

// missionList shows the missions and the country each represents.
func (h *Handler) missionList(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.listContacts(w, r, h.contactsView(r, "missions_title"), true)
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request, v *contactsView, missions bool) {
	q := r.URL.Query()
	f := contacts.Filter{Kind: q.Get("kind"), Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
		Status: q.Get("status"), Query: strings.TrimSpace(q.Get("q")), Limit: 50}
	v.Missions = missions
	if missions {
		f.Kind = contacts.KindMission
	}
	if f.Kind != "" && !slices.Contains(contactKinds, f.Kind) {
		v.problem("kind", "contact_kind", v.T("err_choice"))
		f.Kind = ""
	}
	if f.Status != "" && !slices.Contains(contactStatuses, f.Status) {
		v.problem("status", "col_status", v.T("err_choice"))
		f.Status = ""
	}
	if f.Country != "" && !taxonomy.IsCountry(f.Country) {
		v.problem("country", "contact_country", v.T("err_country"))
		f.Country = ""
	}
	f.AfterID = v.afterID(q)
	if len(f.Query) > 200 {
		v.problem("q", "contacts_search", v.T("err_too_long"))
		f.Query = ""
	}
	v.Filter = f
	status := http.StatusOK
	if len(v.problems) > 0 {
		status = http.StatusBadRequest
	}
	page, err := contacts.ListPage(r.Context(), h.cfg.DB, f)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.List = page.Contacts
	if page.Next != 0 {
		nq := url.Values{"after": {strconv.FormatInt(page.Next, 10)}}
		for k, val := range map[string]string{"kind": f.Kind, "country": f.Country, "status": f.Status, "q": f.Query} {
			if val != "" && !(missions && k == "kind") {
				nq.Set(k, val)
			}
		}
		v.NextURL = r.URL.Path + "?" + nq.Encode()
	}
	h.renderMore(w, r, status, "contacts", v.relView, v)
}

// contactID reads the contact id of the path.
func contactID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, communique.Errorf(communique.ENOTFOUND, "no contact %q", r.PathValue("id"))
	}
	return id, nil
}

// contactFields are the fields of the contact form, in its order.
var contactFields = []string{"email", "name", "organisation", "title", "phone", "kind", "country", "languages", "timezone", "regions", "countries", "topics"}

// contactPage shows a contact, the form that edits it and, for
// administrators, the one that blocks it.
func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := contactID(r)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	v := h.contactsView(r, "contact_title")
	c, err := contacts.Get(r.Context(), h.cfg.DB, id)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	fillContactForm(v, c)
	h.showContact(w, r, v, c, http.StatusOK)
}

// showContact renders a contact's page with v's form values.
func (h *Handler) showContact(w http.ResponseWriter, r *http.Request, v *contactsView, c *contacts.Contact, status int) {
	v.Contact = c
	s, err := contacts.ListSuppressions(r.Context(), h.cfg.DB, contacts.SuppressionFilter{Query: c.Email, Limit: 10})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	for i := range s.Suppressions {
		if strings.EqualFold(s.Suppressions[i].Email, c.Email) {
			v.Suppressed = &s.Suppressions[i]
		}
	}
	h.renderMore(w, r, status, "contact", v.relView, v)
}

// fillContactForm puts c's fields in the form.
func fillContactForm(v *contactsView, c *contacts.Contact) {
	for k, val := range map[string]string{"email": c.Email, "name": c.Name, "organisation": c.Organisation, "title": c.Title,
		"phone": c.Phone, "kind": c.Kind, "country": c.Country, "languages": strings.Join(c.Languages, ", "),
		"timezone": c.Timezone, "regions": strings.Join(c.Regions, ", "), "countries": strings.Join(c.Countries, ", "),
		"topics": strings.Join(c.Topics, ", ")} {
		v.values[k] = val
	}
	if c.Verified {
		v.values["verified"] = "on"
	}
}

// saveContact stores the contact form: every problem is shown next to
// its field and nothing is written.
func (h *Handler) saveContact(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := contactID(r)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	ctx := r.Context()
	v := h.contactsView(r, "contact_title")
	cur, err := contacts.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	pf := r.PostForm
	for _, f := range append(contactFields, "verified") {
		v.values[f] = pf.Get(f)
	}
	// Status and consent stay as they are: blocking is an administrator's,
	// and consent is the contact's own.
	c := *cur
	c.Status = ""
	c.Email, c.Name, c.Organisation, c.Title, c.Phone = pf.Get("email"), pf.Get("name"), pf.Get("organisation"), pf.Get("title"), pf.Get("phone")
	c.Kind, c.Country, c.Timezone = pf.Get("kind"), pf.Get("country"), pf.Get("timezone")
	c.Languages, c.Regions, c.Countries, c.Topics = splitList(pf.Get("languages")), splitList(pf.Get("regions")), splitList(pf.Get("countries")), splitList(pf.Get("topics"))
	c.Verified = pf.Get("verified") == "on"
	saved, err := contacts.Update(ctx, h.cfg.DB, id, &c)
	if err != nil {
		switch communique.ErrorCode(err) {
		case communique.EINVALID:
			v.contactProblems(err)
		case communique.ECONFLICT:
			v.Error = communique.ErrorMessage(err)
		default:
			h.contactFailed(w, r, err)
			return
		}
		h.showContact(w, r, v, cur, communique.HTTPStatus(communique.ErrorCode(err)))
		return
	}
	h.log.Info("contact updated", "contact_id", id, "actor", actor(u))
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "contact.update", 0, map[string]any{"contact": saved.Email}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.flash(ctx, "flash_contact_saved", "")
	http.Redirect(w, r, "/office/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// splitList reads a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// contactProblems puts each problem of an invalid contact next to the
// field it names: the contacts package starts each with the field's name.
func (v *contactsView) contactProblems(err error) {
	for _, d := range communique.ErrorDetails(err) {
		field := "email"
		switch {
		case strings.HasPrefix(d, "region"):
			field = "regions"
		case strings.HasPrefix(d, "topic"):
			field = "topics"
		case strings.Contains(d, "in countries"), strings.HasPrefix(d, "countries"):
			field = "countries"
		case strings.HasPrefix(d, "time zone"), strings.HasPrefix(d, "timezone"):
			field = "timezone"
		case strings.HasPrefix(d, "language"):
			field = "languages"
		default:
			for _, f := range contactFields {
				if strings.HasPrefix(d, f) {
					field = f
					break
				}
			}
		}
		label := "contact_" + field
		if field == "title" {
			label = "contact_title_field"
		}
		v.problems = append(v.problems, problem{Field: field, Label: v.T(label), Text: d})
	}
}

// blockContact puts a contact's address on the suppression list as
// blocked: no release goes to it until an administrator lifts it.
func (h *Handler) blockContact(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := contactID(r)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := contacts.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.contactFailed(w, r, err)
		return
	}
	v := h.contactsView(r, "contact_title")
	detail := strings.TrimSpace(r.PostForm.Get("detail"))
	if len(detail) > 500 {
		v.problem("detail", "block_detail", v.T("err_too_long"))
	}
	if r.PostForm.Get("confirm") != "on" {
		v.problem("confirm-block", "block_confirm_label", v.T("err_confirm"))
	}
	if len(v.problems) > 0 {
		fillContactForm(v, c)
		v.values["detail"] = detail
		h.showContact(w, r, v, c, http.StatusUnprocessableEntity)
		return
	}
	if _, _, err := contacts.Suppress(ctx, h.cfg.DB, contacts.Suppression{Email: c.Email, Reason: contacts.ReasonBlocked, Detail: detail}); err != nil {
		h.contactFailed(w, r, err)
		return
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "contact.block", 0, map[string]any{"contact": c.Email, "detail": detail}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("contact blocked", "contact_id", id, "actor", actor(u))
	h.flash(ctx, "flash_blocked", "")
	http.Redirect(w, r, "/office/contacts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// contactFailed answers an unknown contact with 404 in the page's
// language, anything else as failed does.
func (h *Handler) contactFailed(w http.ResponseWriter, r *http.Request, err error) {
	if communique.ErrorCode(err) == communique.ENOTFOUND {
		h.message(w, r, http.StatusNotFound, "notfound_title", "contact_notfound")
		return
	}
	h.failed(w, r, err)
}
