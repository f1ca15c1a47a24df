package office

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// editorRouteTable are what the pages' scripts call: while the officer
// writes, each needing the right to write releases, as the editor does;
// and the release page's audience, needing the right to read it.
var editorRouteTable = []moreRoute{
	{"POST /office/releases/markdown", users.WriteReleases, (*Handler).markdownPreview},
	{"POST /office/releases/audience", users.WriteReleases, (*Handler).audience},
	{"POST /office/releases/{id}/autosave", users.WriteReleases, (*Handler).autosave},
	{"GET /office/releases/{id}/audience", users.ReadReleases, (*Handler).releaseAudience},
}

// editorRoutes registers the editor's script and editorRouteTable.
func (h *Handler) editorRoutes(mux *http.ServeMux) {
	mux.Handle("GET /office/static/editor.js", http.HandlerFunc(serveEditorJS))
	h.handleRoutes(mux, editorRouteTable)
}

// serveEditorJS serves the editor's script.
func serveEditorJS(w http.ResponseWriter, r *http.Request) {
	b, _ := pagesFS.ReadFile("pages/editor.js")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(b)
}

// markdownPreview renders the posted Markdown as a message's body: the
// same renderer and sanitizer, so the preview never shows what the mail
// would not.
func (h *Handler) markdownPreview(w http.ResponseWriter, r *http.Request, u *users.User) {
	lang := r.PostForm.Get("lang")
	html, err := templates.BodyHTML(r.PostForm.Get("markdown"), lang)
	if err != nil {
		h.log.Error("render the editor's preview", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(html))
}

// BodyPreview is a translation's body as its message shows it, for the
// preview beside the text as the page is loaded.
func (v *relView) BodyPreview(lang string) template.HTML {
	html, err := templates.BodyHTML(v.Form.Tr[lang].Body, lang)
	if err != nil {
		return ""
	}
	return html
}

// DirOf is the writing direction of a language.
func (v *relView) DirOf(lang string) string { return templates.Direction(lang) }

// MarkdownPlaceholder is the text a formatting button inserts when
// nothing is selected.
func (v *relView) MarkdownPlaceholder(button string) string {
	switch button {
	case "heading", "bold", "link", "quote":
		return v.T("md_text_" + button)
	case "bullets", "numbers":
		return v.T("md_text_item")
	case "table":
		return v.T("md_text_column")
	}
	return ""
}

// autosaveAnswer is what an autosave answers: a sentence for the status
// line, and on success the stamp the next save must send.
type autosaveAnswer struct {
	Message  string    `json:"message"`
	Stamp    string    `json:"stamp,omitempty"`
	Problems []problem `json:"problems,omitempty"`
	// Stop says autosaving cannot go on from this page: the draft changed
	// or is no longer one.
	Stop bool `json:"stop,omitempty"`
}

// autosave saves a draft from its editor in the background, as the save
// button does, but refusing to overwrite a change made since the form
// was shown or to withdraw a submission or clearance; it never changes
// the draft's status.
func (h *Handler) autosave(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := h.relView(r, "editor_edit_title")
	id, err := releaseID(r)
	if err != nil {
		writeAnswer(w, http.StatusNotFound, autosaveAnswer{Message: v.T("autosave_not_saved", v.T("release_notfound")), Stop: true})
		return
	}
	f := readEditor(r, v)
	f.ID = id
	seen, perr := strconv.ParseInt(f.Stamp, 10, 64)
	if perr != nil {
		writeAnswer(w, http.StatusConflict, autosaveAnswer{Message: v.T("autosave_not_saved", v.T("autosave_stale")), Stop: true})
		return
	}
	ctx := r.Context()
	d := h.draftOf(ctx, v, f)
	if len(v.problems) == 0 {
		var saved time.Time
		saved, err = h.lifecycle().Autosave(ctx, id, time.Unix(0, seen), d, actor(u))
		if err == nil {
			h.log.Info("release autosaved", "release_id", id, "actor", actor(u))
			writeAnswer(w, http.StatusOK, autosaveAnswer{Message: v.T("autosave_saved", saved.In(v.loc).Format("15:04:05")),
				Stamp: strconv.FormatInt(saved.UnixNano(), 10)})
			return
		}
	}
	switch code := communique.ErrorCode(err); {
	case len(v.problems) > 0 || code == communique.EINVALID:
		v.addProblems(err)
		writeAnswer(w, http.StatusUnprocessableEntity, autosaveAnswer{Message: v.T("autosave_not_saved", v.T("autosave_problems", len(v.problems))), Problems: v.problems})
	case code == communique.ECONFLICT:
		writeAnswer(w, http.StatusConflict, autosaveAnswer{Message: v.T("autosave_not_saved", h.conflictReason(r, v, id)), Stop: true})
	case code == communique.ENOTFOUND:
		writeAnswer(w, http.StatusNotFound, autosaveAnswer{Message: v.T("autosave_not_saved", v.T("release_notfound")), Stop: true})
	default:
		h.log.Error("autosave failed", "release_id", id, "error", err)
		writeAnswer(w, http.StatusInternalServerError, autosaveAnswer{Message: v.T("autosave_not_saved", v.T("autosave_failed"))})
	}
}

// conflictReason says, in the page's language, why an autosave was
// refused: the draft is no longer a draft, is awaiting or holds its
// clearance, or someone saved it since the form was shown.
func (h *Handler) conflictReason(r *http.Request, v *relView, id int64) string {
	rel, err := releases.Get(r.Context(), h.cfg.DB, id)
	switch {
	case err != nil:
		return v.T("autosave_stale")
	case rel.Status != releases.StatusDraft:
		return v.T("autosave_not_draft", v.StatusName(rel.Status))
	case clearanceState(rel) == releases.ClearanceSubmitted || clearanceState(rel) == releases.ClearanceCleared:
		return v.T("autosave_clearance", v.StatusName(clearanceState(rel)))
	}
	return v.T("autosave_stale")
}

func writeAnswer(w http.ResponseWriter, status int, a autosaveAnswer) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}
