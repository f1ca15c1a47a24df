package office

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/users"
)

// editorForm is the editor's content: a release as the form holds it,
// with the embargo time as the officer typed it in their zone.
type editorForm struct {
	ID                         int64
	Slug, Original             string
	Langs                      []string
	Tr                         map[string]releases.Translation
	PressContacts              []string
	Regions, Countries, Topics []string
	Embargo                    string // datetime-local, in the viewer's zone
	EmbargoUTC                 string
	Missions                   string
	Verified, Greeting         bool
	TrackOpens, TrackClicks    bool
	// Unclears says saving drops a submission or clearance.
	Unclears bool
	// Stamp is the draft's updated_at as the form was shown, which an
	// autosave must still find, or it would overwrite someone's edit.
	Stamp string
	// Unsaved says the form holds changes not saved: it is shown again
	// after a language was added or a problem found.
	Unsaved bool
	// Panel is who the form's audience reaches.
	Panel *audiencePanel
}

// choice is one checkbox of a list.
type choice struct {
	Value, Name string
	Group       string
	// Parent is the region a region lies in; Custom says an
	// administrator made it.
	Parent string
	Custom bool
}

const localLayout = "2006-01-02T15:04"

// parseLocal reads a datetime-local value in loc; browsers send seconds
// only when they are not zero.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(localLayout, s, loc)
	if err != nil {
		t, err = time.ParseInLocation(localLayout+":05", s, loc)
	}
	return t, err
}

// newRelease shows an empty editor with one language, the page's own.
func (h *Handler) newRelease(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := h.relView(r, "editor_new_title")
	lang := v.Lang
	v.Form = &editorForm{Original: lang, Langs: []string{lang}, Tr: map[string]releases.Translation{}, Missions: "none"}
	h.showEditor(w, r, http.StatusOK, v)
}

// editRelease shows a draft in the editor.
func (h *Handler) editRelease(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	rel, err := releases.Get(r.Context(), h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	if rel.Status != releases.StatusDraft {
		h.flash(r.Context(), "flash_not_draft", "")
		http.Redirect(w, r, "/office/releases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	v := h.relView(r, "editor_edit_title")
	f := &editorForm{ID: id, Slug: rel.Slug, Original: rel.OriginalLanguage, Langs: rel.Languages(), Tr: rel.Translations,
		PressContacts: rel.PressContacts, Regions: rel.Regions, Countries: rel.Countries, Topics: rel.Topics,
		Missions: rel.EmbargoAudience.Missions, Verified: rel.EmbargoAudience.VerifiedJournalists, Greeting: rel.Greeting,
		TrackOpens: rel.Tracking.Opens, TrackClicks: rel.Tracking.Clicks}
	if rel.EmbargoUntil != nil {
		f.Embargo = rel.EmbargoUntil.In(v.loc).Format(localLayout)
		f.EmbargoUTC = rel.EmbargoUntil.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	f.Unclears = rel.Clearance != nil && (rel.Clearance.State == releases.ClearanceSubmitted || rel.Clearance.State == releases.ClearanceCleared)
	f.Stamp = strconv.FormatInt(rel.UpdatedAt.UnixNano(), 10)
	v.Form = f
	h.showEditor(w, r, http.StatusOK, v)
}

// showEditor fills the editor's choices and renders it.
func (h *Handler) showEditor(w http.ResponseWriter, r *http.Request, status int, v *relView) {
	if err := h.loadChoices(r.Context(), v); err != nil {
		h.relFailed(w, r, err)
		return
	}
	if v.Form.Unclears {
		v.Notice = v.T("editor_unclears")
	}
	if scripted(r) {
		v.Form.Panel = &audiencePanel{Pending: true}
	} else {
		h.fillPanel(r.Context(), v)
	}
	h.renderRel(w, r, status, "editor", v)
}

// loadChoices reads the press officers, regions, countries and topics
// the editor offers.
func (h *Handler) loadChoices(ctx context.Context, v *relView) error {
	var err error
	if v.PressOfficers, err = contacts.List(ctx, h.cfg.DB, contacts.Filter{Kind: contacts.KindPressOfficer, Status: "active", Limit: contacts.MaxLimit}); err != nil {
		return err
	}
	regions, err := taxonomy.Regions(ctx, h.cfg.DB)
	if err != nil {
		return err
	}
	parents := map[string]bool{}
	for _, rg := range regions {
		parents[rg.Parent] = true
	}
	placed := map[string]bool{}
	for _, rg := range regions {
		name := nameOf(rg.Names, v.Lang, rg.Slug)
		v.RegionChoices = append(v.RegionChoices, choice{Value: rg.Slug, Name: name, Parent: rg.Parent, Custom: !rg.Builtin})
		// Countries are grouped by the smallest built-in regions, which
		// split the world without overlap.
		if !rg.Builtin || parents[rg.Slug] {
			continue
		}
		for _, c := range rg.Countries {
			if !placed[c] {
				placed[c] = true
				v.CountryChoices = append(v.CountryChoices, choice{Value: c, Name: taxonomy.CountryName(c, v.Lang), Group: name})
			}
		}
	}
	for _, c := range taxonomy.Countries() {
		if !placed[c] {
			v.CountryChoices = append(v.CountryChoices, choice{Value: c, Name: taxonomy.CountryName(c, v.Lang), Group: v.T("editor_other_countries")})
		}
	}
	topics, err := taxonomy.Topics(ctx, h.cfg.DB)
	if err != nil {
		return err
	}
	for _, t := range topics {
		v.TopicChoices = append(v.TopicChoices, choice{Value: t.Slug, Name: nameOf(t.Names, v.Lang, t.Slug)})
	}
	return nil
}

// nameOf is a topic's or region's name in lang as Names.In finds it,
// else its slug, for one named in no language at all.
func nameOf(names taxonomy.Names, lang, slug string) string {
	if n := names.In(lang); n != "" {
		return n
	}
	return slug
}

// CountryGroups splits the country choices by group, in order.
func (v *relView) CountryGroups() [][]choice {
	var out [][]choice
	for _, c := range v.CountryChoices {
		if len(out) == 0 || out[len(out)-1][0].Group != c.Group {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], c)
	}
	return out
}

// Has reports whether list holds s, for checkboxes.
func (v *relView) Has(list []string, s string) bool { return slices.Contains(list, s) }

// TrField is a translation's field in the form.
func (v *relView) TrField(lang, field string) string {
	t := v.Form.Tr[lang]
	switch field {
	case "title":
		return t.Title
	case "summary":
		return t.Summary
	case "dateline":
		return t.Dateline
	case "body":
		return t.Body
	}
	return ""
}

// saveNew stores a new draft from the editor.
func (h *Handler) saveNew(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.saveEditor(w, r, u, 0)
}

// saveEdit stores the editor's changes to a draft.
func (h *Handler) saveEdit(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	h.saveEditor(w, r, u, id)
}

// saveEditor reads the editor's form and does what its button asked:
// add or remove a language (nothing is stored), save, or save and preview.
func (h *Handler) saveEditor(w http.ResponseWriter, r *http.Request, u *users.User, id int64) {
	title := "editor_new_title"
	if id != 0 {
		title = "editor_edit_title"
	}
	v := h.relView(r, title)
	f := readEditor(r, v)
	f.ID = id
	f.Unsaved = true
	v.Form = f
	op := r.PostForm.Get("op")
	switch {
	case op == "add":
		h.addLanguage(v, r.PostForm.Get("add_language"))
		h.showEditor(w, r, http.StatusOK, v)
		return
	case strings.HasPrefix(op, "remove:"):
		l := strings.TrimPrefix(op, "remove:")
		f.Langs = slices.DeleteFunc(f.Langs, func(x string) bool { return x == l })
		delete(f.Tr, l)
		if f.Original == l && len(f.Langs) > 0 {
			f.Original = f.Langs[0]
		}
		h.showEditor(w, r, http.StatusOK, v)
		return
	}
	d := h.draftOf(r.Context(), v, f)
	if len(v.problems) > 0 {
		h.showEditor(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	var err error
	if id == 0 {
		id, err = h.lifecycle().Create(r.Context(), d, actor(u))
	} else {
		// What the draft was before, not what the form says it was, tells
		// whether this edit drops its clearance.
		var old *releases.Release
		if old, err = releases.Get(r.Context(), h.cfg.DB, id); err == nil {
			st := clearanceState(old)
			f.Unclears = st == releases.ClearanceSubmitted || st == releases.ClearanceCleared
			err = h.lifecycle().Edit(r.Context(), id, d, actor(u))
		}
	}
	if communique.ErrorCode(err) == communique.EINVALID {
		v.addProblems(err)
		h.showEditor(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	h.log.Info("release saved", "release_id", id, "actor", actor(u))
	to := "/office/releases/" + strconv.FormatInt(id, 10)
	if op == "preview" {
		to += "/preview"
	}
	flash := "flash_saved"
	if f.Unclears {
		flash = "flash_saved_unclears"
	}
	h.flash(r.Context(), flash, "")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// draftOf is the draft the form holds. A problem the form alone shows
// (an embargo time that is no time) is recorded in v with every problem
// the release's own rules find, so all of them show at once.
func (h *Handler) draftOf(ctx context.Context, v *relView, f *editorForm) *releases.Draft {
	d := &releases.Draft{Release: releases.Release{Slug: f.Slug, OriginalLanguage: f.Original, Translations: f.Tr,
		Regions: f.Regions, Countries: f.Countries, Topics: f.Topics, PressContacts: f.PressContacts, Greeting: f.Greeting,
		EmbargoAudience: releases.EmbargoAudience{Missions: f.Missions, VerifiedJournalists: f.Verified}},
		Tracking: &releases.Tracking{Opens: f.TrackOpens, Clicks: f.TrackClicks}}
	if f.Embargo != "" {
		t, err := parseLocal(f.Embargo, v.loc)
		if err != nil {
			v.problem("embargo_until", "editor_embargo", v.T("err_datetime"))
		} else {
			d.EmbargoUntil = &t
		}
	}
	if len(v.problems) > 0 {
		// Checked on a copy: nothing is stored, and d stays as posted.
		check := d.Release
		check.Translations = cloneTr(d.Translations)
		v.addProblems(check.Normalize())
		v.addProblems(taxonomy.Validate(ctx, h.cfg.DB, f.Regions, f.Countries, f.Topics))
	}
	return d
}

func cloneTr(in map[string]releases.Translation) map[string]releases.Translation {
	out := make(map[string]releases.Translation, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// addLanguage adds a translation tab for the language tag typed.
func (h *Handler) addLanguage(v *relView, tag string) {
	f := v.Form
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil || strings.TrimSpace(tag) == "" {
		v.problem("add_language", "editor_add_language", v.T("err_language"))
		v.values["add_language"] = tag
		return
	}
	l := t.String()
	if !slices.Contains(f.Langs, l) {
		f.Langs = append(f.Langs, l)
	}
	v.focus = "translations." + l + ".title"
}

// readEditor reads the posted editor form.
func readEditor(r *http.Request, v *relView) *editorForm {
	pf := r.PostForm
	f := &editorForm{Slug: strings.TrimSpace(pf.Get("slug")), Original: pf.Get("original_language"),
		Tr: map[string]releases.Translation{}, PressContacts: nonEmpty(pf["press_contacts"]),
		Regions: nonEmpty(pf["regions"]), Countries: nonEmpty(pf["countries"]), Topics: nonEmpty(pf["topics"]),
		Embargo: strings.TrimSpace(pf.Get("embargo_until")), Missions: pf.Get("embargo_missions"),
		Verified: pf.Get("embargo_verified") == "on", Greeting: pf.Get("greeting") == "on",
		TrackOpens: pf.Get("track_opens") == "on", TrackClicks: pf.Get("track_clicks") == "on",
		Unclears: pf.Get("unclears") == "on", // shown again on a form with problems
		Stamp:    pf.Get("stamp")}
	for _, l := range pf["lang"] {
		if l == "" || slices.Contains(f.Langs, l) {
			continue
		}
		f.Langs = append(f.Langs, l)
		p := "translations." + l + "."
		f.Tr[l] = releases.Translation{Title: pf.Get(p + "title"), Summary: pf.Get(p + "summary"),
			Dateline: pf.Get(p + "dateline"), Body: strings.ReplaceAll(pf.Get(p+"body"), "\r\n", "\n")}
	}
	return f
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// addProblems shows the details of an EINVALID error next to their
// fields: "translations.fr.title: required" goes to that field.
func (v *relView) addProblems(err error) {
	if err == nil {
		return
	}
	for _, d := range communique.ErrorDetails(err) {
		field, text, ok := strings.Cut(d, ": ")
		if !ok {
			field, text = "form", d
		}
		field = problemField(field)
		if text == "required" {
			text = v.T("err_required")
		}
		v.problems = append(v.problems, problem{Field: field, Label: v.fieldLabel(field), Text: text})
	}
}

// problemField is the form field a detail names: one checkbox list for
// the audience, one for the press contacts.
func problemField(f string) string {
	switch {
	case strings.HasPrefix(f, "regions") || strings.HasPrefix(f, "countries") || strings.HasPrefix(f, "topics"),
		strings.HasPrefix(f, "region ") || strings.HasPrefix(f, "country ") || strings.HasPrefix(f, "topic "):
		return "audience"
	case strings.HasPrefix(f, "press_contacts"):
		return "press_contacts"
	case strings.HasPrefix(f, "embargo_audience"):
		return "embargo_missions"
	}
	return f
}

// fieldLabel names a field of the editor in the page's language.
func (v *relView) fieldLabel(field string) string {
	if rest, ok := strings.CutPrefix(field, "translations."); ok {
		lang, part, _ := strings.Cut(rest, ".")
		name := languageLabel(lang)
		if part == "" {
			return name
		}
		return v.T("editor_"+part) + " (" + name + ")"
	}
	switch field {
	case "slug", "original_language", "audience", "press_contacts", "embargo_until", "embargo_missions", "publish_now", "add_language":
		return v.T("editor_" + field)
	}
	return field
}

// languageLabel names a language tag in itself ("fr" is "français").
func languageLabel(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	if n := display.Self.Name(t); n != "" {
		return n
	}
	return tag
}

// LangLabel is languageLabel for the templates.
func (v *relView) LangLabel(tag string) string { return languageLabel(tag) }
