package office

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/branding"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// templatesView is the list of templates and the editor of one.
type templatesView struct {
	*adminView
	// The list: one row per message, one cell per language.
	Rows      []templateRow
	TplLangs  []string
	Template  *templates.Template
	Message   string
	TplLang   string
	Overrides bool // the template shown is an override of exactly this language
	// The preview: the releases to choose from, the one chosen, and what
	// its readers get.
	Choices    []releases.Summary
	PreviewID  int64
	PreviewURL string
	Preview    *tplPreview
	// PreviewDoc is the HTML part of a draft's preview, which the frame
	// shows from the page itself (srcdoc): a draft is stored nowhere.
	PreviewDoc string
}

type templateRow struct {
	Message string
	Cells   []templates.TemplateInfo
}

// tplPreview is a message as its readers get it.
type tplPreview struct {
	Lang, Subject, Text string
	// Note says the release has no translation in the template's
	// language, Problem why the administrator's template did not render
	// it (the built-in did) or why the message cannot be shown.
	Note, Problem string
}

// TemplatePath is the editor's address of message in lang.
func (v *templatesView) TemplatePath(message, lang string) string {
	return "/office/admin/templates/" + url.PathEscape(message) + "/" + url.PathEscape(lang)
}

// MessageName is a message's name in the page's language.
func (v *templatesView) MessageName(m string) string { return v.T("variant_" + m) }

// LangLabel is a language's name in itself.
func (v *templatesView) LangLabel(tag string) string { return languageLabel(tag) }

// IsConfirmation tells the editor that the message has no release to
// preview with.
func (v *templatesView) IsConfirmation() bool { return v.Message == templates.MessageConfirmation }

// DraftRelease is the release a draft is previewed with: the one chosen,
// else the newest; 0 when there is none (or for the confirmation).
func (v *templatesView) DraftRelease() int64 {
	if v.PreviewID != 0 || len(v.Choices) == 0 {
		return v.PreviewID
	}
	return v.Choices[0].ID
}

// adminTemplates lists every message in every language, built-in or
// overridden.
func (h *Handler) adminTemplates(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := &templatesView{adminView: h.adminView(r, "admin_templates_title")}
	list, err := templates.ListTemplates(r.Context(), h.cfg.DB)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	// The built-in languages first, then any other an override is in.
	v.TplLangs = templates.Languages()
	seen := map[string]bool{}
	for _, l := range v.TplLangs {
		seen[l] = true
	}
	for _, t := range list {
		if !seen[t.Language] {
			seen[t.Language] = true
			v.TplLangs = append(v.TplLangs, t.Language)
		}
	}
	byKey := map[[2]string]templates.TemplateInfo{}
	for _, t := range list {
		byKey[[2]string{t.Message, t.Language}] = t
	}
	for _, m := range templates.Messages() {
		row := templateRow{Message: m}
		for _, l := range v.TplLangs {
			t, ok := byKey[[2]string{m, l}]
			if !ok {
				t = templates.TemplateInfo{Message: m, Language: l, Origin: templates.SourceBuiltin}
			}
			row.Cells = append(row.Cells, t)
		}
		v.Rows = append(v.Rows, row)
	}
	h.renderMore(w, r, http.StatusOK, "admin_templates", v.relView, v)
}

// templateKey reads the path's message and language; a message that does
// not exist is "not found", a malformed language invalid.
func templateKey(r *http.Request) (string, string, error) {
	return templates.ParseKey(r.PathValue("message"), r.PathValue("lang"))
}

// templatePage shows the editor of a message in a language, filled with
// the template its readers get, and the preview against the release
// chosen (?release=).
func (h *Handler) templatePage(w http.ResponseWriter, r *http.Request, u *users.User) {
	message, lang, err := templateKey(r)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v := &templatesView{adminView: h.adminView(r, "tpl_editor_title"), Message: message, TplLang: lang}
	if s := r.URL.Query().Get("release"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.problem("preview_release", "tpl_preview_release", v.T("err_choice"))
		} else {
			v.PreviewID = id
		}
	}
	h.showTemplate(w, r, v, nil, http.StatusOK)
}

// showTemplate renders the editor; src is the form as sent, or nil for
// the template as stored.
func (h *Handler) showTemplate(w http.ResponseWriter, r *http.Request, v *templatesView, src *templates.Source, status int) {
	ctx := r.Context()
	t, err := templates.GetTemplate(ctx, h.cfg.DB, v.Message, v.TplLang)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v.Template = t
	v.Overrides = t.Origin == templates.SourceOverride && t.Language == v.TplLang
	if src == nil {
		src = &t.Source
	}
	v.values["tpl_subject"], v.values["tpl_text"], v.values["tpl_html"] = src.Subject, src.Text, src.HTML
	if v.IsConfirmation() {
		v.PreviewID = 0
	} else if v.Choices, _, err = releases.List(ctx, h.cfg.DB, releases.ListFilter{Limit: 50}); err != nil {
		h.failed(w, r, err)
		return
	}
	if v.Preview == nil && (v.PreviewID != 0 || v.IsConfirmation()) {
		ov, err := branding.LoadOverrides(ctx, h.cfg.DB, h.cfg.BaseURL)
		if err != nil {
			h.failed(w, r, err)
			return
		}
		if v.Preview, _, err = h.renderPreview(r, v, ov); err != nil {
			h.failed(w, r, err)
			return
		}
		v.PreviewURL = v.TemplatePath(v.Message, v.TplLang) + "/frame"
		if v.PreviewID != 0 {
			v.PreviewURL += "?release=" + strconv.FormatInt(v.PreviewID, 10)
		}
	}
	h.renderMore(w, r, status, "admin_templates", v.relView, v)
}

// renderPreview renders v's message in its language with ov, as its
// readers would get it: against the release chosen, or for the
// confirmation a new subscriber. It returns what the page shows and the
// HTML part; problems the administrator can act on come back in the
// preview, not as errors.
func (h *Handler) renderPreview(r *http.Request, v *templatesView, ov templates.Overrides) (*tplPreview, string, error) {
	ctx, message, lang, tr := r.Context(), v.Message, v.TplLang, v.T
	if message == templates.MessageConfirmation {
		c, err := templates.ConfirmationWith(ov, lang, "", h.cfg.BaseURL+"/confirm/preview")
		if err != nil {
			return nil, "", err
		}
		p := &tplPreview{Lang: c.Language, Subject: c.Subject, Text: c.Text}
		if c.Language != lang {
			p.Note = tr("tpl_preview_other", languageLabel(lang), languageLabel(c.Language))
		}
		return p, c.HTML, nil
	}
	pv, err := templates.LoadPreview(ctx, h.cfg.DB, ov, v.PreviewID, message, lang)
	switch communique.ErrorCode(err) {
	case "":
	case communique.EINVALID, communique.ENOTFOUND:
		return &tplPreview{Lang: lang, Problem: tr("tpl_preview_problem", communique.ErrorMessage(err))}, "", nil
	default:
		return nil, "", err
	}
	text, html := pv.Personalize(previewReader(r, h.cfg.BaseURL))
	p := &tplPreview{Lang: pv.Language(), Subject: pv.Subject(), Text: text}
	if pv.Language() != lang {
		p.Note = tr("tpl_preview_other", languageLabel(lang), languageLabel(pv.Language()))
	}
	if err := pv.OverrideError(); err != nil {
		p.Problem = tr("tpl_preview_fallback", err.Error())
	}
	return p, html, nil
}

// templateFrame serves the HTML part of the preview of what is saved
// for the editor's sandboxed frame, under the policy of the release
// preview's frames.
func (h *Handler) templateFrame(w http.ResponseWriter, r *http.Request, u *users.User) {
	message, lang, err := templateKey(r)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	v := &templatesView{adminView: h.adminView(r, "tpl_preview"), Message: message, TplLang: lang}
	if !v.IsConfirmation() {
		id, err := strconv.ParseInt(r.URL.Query().Get("release"), 10, 64)
		if err != nil || id <= 0 {
			h.failed(w, r, communique.Errorf(communique.ENOTFOUND, "no release %q", r.URL.Query().Get("release")))
			return
		}
		v.PreviewID = id
	}
	ov, err := branding.LoadOverrides(r.Context(), h.cfg.DB, h.cfg.BaseURL)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	p, html, err := h.renderPreview(r, v, ov)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if html == "" {
		h.failed(w, r, communique.Errorf(communique.ENOTFOUND, "%s", p.Problem))
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Language", p.Lang)
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(html))
}

// saveTemplate checks and stores the form as the override of the
// message in the language, with its audit entry; each problem is shown
// next to the part it names, with its line.
func (h *Handler) saveTemplate(w http.ResponseWriter, r *http.Request, u *users.User) {
	message, lang, err := templateKey(r)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	ctx, pf := r.Context(), r.PostForm
	src := templates.Source{Subject: pf.Get("tpl_subject"), Text: normalizeNewlines(pf.Get("tpl_text")), HTML: normalizeNewlines(pf.Get("tpl_html"))}
	if pf.Get("action") == "preview" {
		h.previewDraft(w, r, message, lang, src)
		return
	}
	var created bool
	err = postgres.Tx(ctx, h.cfg.DB, func(tx *sqlx.Tx) error {
		var err error
		if created, err = templates.SaveOverride(ctx, tx, message, lang, src); err != nil {
			return err
		}
		return releases.RecordAudit(ctx, tx, actor(u), "template.save", 0,
			map[string]any{"message": message, "language": lang, "created": created})
	})
	if communique.ErrorCode(err) == communique.EINVALID {
		v := &templatesView{adminView: h.adminView(r, "tpl_editor_title"), Message: message, TplLang: lang}
		h.templateProblems(w, r, v, src, err)
		return
	}
	if err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("template override saved", "message", message, "lang", lang, "created", created, "actor", actor(u))
	h.flash(ctx, "flash_tpl_saved", "")
	http.Redirect(w, r, "/office/admin/templates/"+url.PathEscape(message)+"/"+url.PathEscape(lang), http.StatusSeeOther)
}

// previewDraft shows the form as sent rendered against the release
// chosen, as if it were saved, and saves nothing.
func (h *Handler) previewDraft(w http.ResponseWriter, r *http.Request, message, lang string, src templates.Source) {
	v := &templatesView{adminView: h.adminView(r, "tpl_editor_title"), Message: message, TplLang: lang}
	if id, err := strconv.ParseInt(r.PostForm.Get("release"), 10, 64); err == nil && id > 0 {
		v.PreviewID = id
	}
	ov, err := branding.LoadOverrides(r.Context(), h.cfg.DB, h.cfg.BaseURL)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if ov, err = ov.WithDraft(r.Context(), message, lang, src); err != nil {
		h.templateProblems(w, r, v, src, err)
		return
	}
	if v.PreviewID == 0 && !v.IsConfirmation() {
		v.problem("preview_release", "tpl_preview_release", v.T("err_choice"))
		h.showTemplate(w, r, v, &src, http.StatusUnprocessableEntity)
		return
	}
	if v.Preview, v.PreviewDoc, err = h.renderPreview(r, v, ov); err != nil {
		h.failed(w, r, err)
		return
	}
	v.Notice = v.T("tpl_draft_notice")
	h.showTemplate(w, r, v, &src, http.StatusOK)
}

// templateProblems shows a refused template with each problem next to
// the part it names, with its line.
func (h *Handler) templateProblems(w http.ResponseWriter, r *http.Request, v *templatesView, src templates.Source, err error) {
	if communique.ErrorCode(err) != communique.EINVALID {
		h.failed(w, r, err)
		return
	}
	for _, d := range communique.ErrorDetails(err) {
		part, _, _ := strings.Cut(d, ":")
		part, _, _ = strings.Cut(part, " ") // "text (in the built-in layout)"
		switch part {
		case "subject", "text", "html":
			v.problems = append(v.problems, problem{Field: "tpl_" + part, Label: v.T("tpl_" + part), Text: d})
		default: // a bound of the render budget, which names no part
			v.problems = append(v.problems, problem{Field: "tpl_html", Label: v.T("tpl_template"), Text: d})
		}
	}
	if len(v.problems) == 0 {
		v.Error = communique.ErrorMessage(err)
	}
	h.showTemplate(w, r, v, &src, http.StatusUnprocessableEntity)
}

// deleteTemplate removes the override of the message in the language:
// its readers get the built-in again.
func (h *Handler) deleteTemplate(w http.ResponseWriter, r *http.Request, u *users.User) {
	message, lang, err := templateKey(r)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	ctx := r.Context()
	err = postgres.Tx(ctx, h.cfg.DB, func(tx *sqlx.Tx) error {
		if err := templates.DeleteOverride(ctx, tx, message, lang); err != nil {
			return err
		}
		return releases.RecordAudit(ctx, tx, actor(u), "template.delete", 0, map[string]any{"message": message, "language": lang})
	})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	h.log.Info("template override deleted", "message", message, "lang", lang, "actor", actor(u))
	h.flash(ctx, "flash_tpl_deleted", "")
	http.Redirect(w, r, "/office/admin/templates/"+url.PathEscape(message)+"/"+url.PathEscape(lang), http.StatusSeeOther)
}

// normalizeNewlines turns a browser's CRLF line ends into LF, so that a
// template saved from the page reads as one saved through the API.
func normalizeNewlines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// Code describes the textarea of a template's part.
func (p *page) Code(id, label string, rows int) area {
	return area{field: p.Field(id, label, "textarea", "off"), Rows: rows}
}
