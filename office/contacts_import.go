package office

import (
	"errors"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// maxUpload bounds a contacts file sent through the import form: about
// 100,000 contacts with every column filled.
const maxUpload = 32 << 20

// maxImports is how many contacts imports the pages run at once; each
// holds a database connection for as long as its file takes.
const maxImports = 1

// uploadPaths are the forms that send a file; every other form is a few
// short fields.
var uploadPaths = map[string]bool{"/office/contacts/import": true}

// postedFile opens the file a form sent as field, with its name; the
// file is nil when the form sent none, and the caller closes it.
func postedFile(r *http.Request, field string) (multipart.File, string, error) {
	if r.MultipartForm == nil {
		return nil, "", nil
	}
	fh := r.MultipartForm.File[field]
	if len(fh) == 0 {
		return nil, "", nil
	}
	f, err := fh[0].Open()
	if err != nil {
		return nil, "", err
	}
	return f, fh[0].Filename, nil
}

// importPage shows the contacts import form.
func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := h.contactsView(r, "import_title")
	v.MaxUpload = strconv.Itoa(maxUpload>>20) + " MiB"
	h.renderMore(w, r, http.StatusOK, "import", v.relView, v)
}

// importContacts imports the file sent: with every line checked first,
// all or nothing unless the officer chose to leave out the bad lines, and
// each bad line reported with its number and what is wrong with it.
func (h *Handler) importContacts(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	v := h.contactsView(r, "import_title")
	v.MaxUpload = strconv.Itoa(maxUpload>>20) + " MiB"
	skip := r.PostFormValue("skip_invalid") == "on"
	if skip {
		v.values["skip_invalid"] = "on"
	}
	file, _, err := postedFile(r, "file")
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if file == nil {
		v.problem("file", "import_file", v.T("err_file"))
		h.renderMore(w, r, http.StatusUnprocessableEntity, "import", v.relView, v)
		return
	}
	defer file.Close()
	select {
	case h.imports <- struct{}{}:
		defer func() { <-h.imports }()
	default:
		w.Header().Set("Retry-After", "10")
		v.Error = v.T("import_busy")
		h.renderMore(w, r, http.StatusTooManyRequests, "import", v.relView, v)
		return
	}
	res, err := contacts.Import(ctx, h.cfg.DB, file, contacts.ImportOptions{SkipInvalid: skip, Source: "office import"})
	v.Result = res
	status := http.StatusOK
	if err != nil {
		if communique.ErrorCode(err) != communique.EINVALID {
			h.failed(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
		v.Error = v.T("import_refused")
		if res == nil || len(res.Rejected) == 0 {
			// A problem with the file as a whole, such as its header.
			v.problem("file", "import_file", joinDetails(err))
		}
	} else {
		if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "contact.import", 0, map[string]any{
			"created": res.Created, "updated": res.Updated, "skipped": res.Skipped}); err != nil {
			h.failed(w, r, err)
			return
		}
		h.log.Info("contacts imported", "actor", actor(u), "created", res.Created, "updated", res.Updated, "skipped", res.Skipped)
		v.Notice = v.T("import_done", strconv.Itoa(res.Created), strconv.Itoa(res.Updated), strconv.Itoa(res.Skipped))
	}
	h.renderMore(w, r, status, "import", v.relView, v)
}

// joinDetails is an error's details in one line, or its message.
func joinDetails(err error) string {
	d := communique.ErrorDetails(err)
	if len(d) == 0 {
		return communique.ErrorMessage(err)
	}
	out := d[0]
	for _, s := range d[1:] {
		out += "; " + s
	}
	return out
}

// uploadRefused answers an upload the form check could not read: too
// large, said with the limit, or not a form at all.
func (h *Handler) uploadRefused(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		pg := h.newPage(r, "err_form_title")
		pg.Body = pg.T("import_too_large", strconv.Itoa(maxUpload>>20)+" MiB")
		pg.Link, pg.LinkText = r.URL.Path, pg.T("err_csrf_again")
		h.render(w, r, http.StatusRequestEntityTooLarge, "message", pg)
		return
	}
	h.message(w, r, http.StatusBadRequest, "err_form_title", "err_form_body")
}

// exportContacts downloads every contact as CSV, in the columns import
// reads.
func (h *Handler) exportContacts(w http.ResponseWriter, r *http.Request, u *users.User) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	if err := contacts.Export(r.Context(), h.cfg.DB, w); err != nil {
		// Part of the file may be gone: the log says why it stops short.
		h.log.Error("export contacts", "error", err)
	}
}

// suppressionList shows the suppression list; administrators may lift
// an entry.
func (h *Handler) suppressionList(w http.ResponseWriter, r *http.Request, u *users.User) {
	q := r.URL.Query()
	v := h.contactsView(r, "suppressions_title")
	f := contacts.SuppressionFilter{Reason: q.Get("reason"), Query: q.Get("q"), After: q.Get("after"), Limit: 50}
	if f.Reason != "" && !slices.Contains(suppressionReasons, f.Reason) {
		v.problem("reason", "suppression_reason", v.T("err_choice"))
		f.Reason = ""
	}
	if len(f.Query) > 254 {
		v.problem("q", "contacts_search", v.T("err_too_long"))
		f.Query = ""
	}
	v.Reason, v.Filter.Query = f.Reason, f.Query
	page, err := contacts.ListSuppressions(r.Context(), h.cfg.DB, f)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Sups = page.Suppressions
	if page.Next != "" {
		nq := q
		nq.Set("after", page.Next)
		nq.Del("lang")
		v.NextURL = "/office/suppressions?" + nq.Encode()
	}
	status := http.StatusOK
	if len(v.problems) > 0 {
		status = http.StatusBadRequest
	}
	h.renderMore(w, r, status, "suppressions", v.relView, v)
}

// liftSuppression takes an address off the suppression list.
func (h *Handler) liftSuppression(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx := r.Context()
	email := r.PostForm.Get("email")
	s, status, err := contacts.Lift(ctx, h.cfg.DB, email)
	if err != nil {
		if communique.ErrorCode(err) == communique.ENOTFOUND {
			h.message(w, r, http.StatusNotFound, "notfound_title", "suppression_notfound")
			return
		}
		h.failed(w, r, err)
		return
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "suppression.lift", 0, map[string]any{
		"email": s.Email, "reason": s.Reason, "contact_status": status}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("suppression lifted", "actor", actor(u), "reason", s.Reason)
	h.flash(ctx, "flash_lifted_suppression", s.Email)
	http.Redirect(w, r, "/office/suppressions", http.StatusSeeOther)
}
