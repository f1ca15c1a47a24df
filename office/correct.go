package office

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// correctView is the correction form: each language of the release with
// its fields as they are (or as posted) and who a correction would reach.
type correctView struct {
	*relView
	Parts []correctPart
	// Stamp is when the release last changed as the form showed it, so
	// that a correction made meanwhile by someone else is not undone.
	Stamp string
}

// correctPart is one language of the correction form.
type correctPart struct {
	Lang                           string
	Title, Summary, Dateline, Body string
	Note                           string
	Readers                        int
}

// Prefix is the form fields' prefix for the language.
func (p correctPart) Prefix() string { return "translations." + p.Lang + "." }

// Field is one of the part's texts by name, for the template's loop.
func (p correctPart) Field(name string) string {
	switch name {
	case "title":
		return p.Title
	case "summary":
		return p.Summary
	case "dateline":
		return p.Dateline
	case "body":
		return p.Body
	}
	return p.Note
}

// Reach says who the correction of one language goes to.
func (v *correctView) Reach(p correctPart) string {
	switch p.Readers {
	case 0:
		return v.T("correct_reach_none", v.LangLabel(p.Lang))
	case 1:
		return v.T("correct_reach_one", v.LangLabel(p.Lang))
	}
	return v.T("correct_reach", v.Count(p.Readers), v.LangLabel(p.Lang))
}

// correctionReaders counts, by language, the contacts who received the
// release itself: those the dispatcher sends a correction of that
// language to. Nobody gets both the embargoed notice and the public
// version, and a correction reaches only those who got one of them, so
// counting their sent deliveries counts each reader once.
func correctionReaders(ctx context.Context, db *sqlx.DB, id int64) (map[string]int, error) {
	var rows []struct {
		Language string `db:"language"`
		N        int    `db:"n"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT d.language, count(*) AS n
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE s.release_id = $1 AND s.variant IN ('embargoed', 'public') AND d.status = 'sent'
		GROUP BY 1`, id); err != nil {
		return nil, fmt.Errorf("readers of release %d: %w", id, err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Language] = r.N
	}
	return out, nil
}

// correctPage shows the correction form with the release as it is.
func (h *Handler) correctPage(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	h.showCorrect(w, r, id, http.StatusOK, h.relView(r, "correct_title"), nil)
}

// showCorrect renders the correction form of release id: the release's
// texts, or posted ones when given.
func (h *Handler) showCorrect(w http.ResponseWriter, r *http.Request, id int64, status int, v *relView, posted map[string]correctPart) {
	ctx := r.Context()
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	if rel.Status != releases.StatusPublished {
		h.relFailed(w, r, communique.Errorf(communique.ECONFLICT, "%s", v.T("correct_not_published", v.StatusName(rel.Status))))
		return
	}
	readers, err := correctionReaders(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.ReleaseID, v.Rel = id, rel
	cv := &correctView{relView: v, Stamp: strconv.FormatInt(rel.UpdatedAt.UnixNano(), 10)}
	for _, lang := range rel.Languages() {
		t := rel.Translations[lang]
		p := correctPart{Lang: lang, Title: t.Title, Summary: t.Summary, Dateline: t.Dateline, Body: t.Body}
		if pp, ok := posted[lang]; ok {
			p = pp
		}
		p.Readers = readers[lang]
		cv.Parts = append(cv.Parts, p)
	}
	h.renderMore(w, r, status, "correct", v, cv)
}

// correct sends a correction: each language whose fields the form
// changed, with its note; unchanged languages are left out, so their
// readers get nothing.
func (h *Handler) correct(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ctx, pf := r.Context(), r.PostForm
	v := h.relView(r, "correct_title")
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	posted := map[string]correctPart{}
	c := releases.Correction{Translations: map[string]releases.TranslationPatch{}}
	for _, lang := range rel.Languages() {
		pre := "translations." + lang + "."
		cur := rel.Translations[lang]
		// A field the form did not send is left as it is, not emptied.
		val := func(name, was string) string {
			if v, sent := pf[pre+name]; sent && len(v) > 0 {
				return strings.ReplaceAll(v[0], "\r\n", "\n")
			}
			return was
		}
		p := correctPart{Lang: lang, Title: strings.TrimSpace(val("title", cur.Title)), Summary: val("summary", cur.Summary),
			Dateline: val("dateline", cur.Dateline), Body: val("body", cur.Body), Note: pf.Get(pre + "note")}
		posted[lang] = p
		var patch releases.TranslationPatch
		changed := false
		for _, f := range []struct {
			posted, cur string
			to          **string
		}{{p.Title, cur.Title, &patch.Title}, {p.Summary, cur.Summary, &patch.Summary},
			{p.Dateline, cur.Dateline, &patch.Dateline}, {p.Body, cur.Body, &patch.Body}} {
			if f.posted != f.cur {
				s := f.posted
				*f.to, changed = &s, true
			}
		}
		switch {
		case changed:
			patch.Note = p.Note
			c.Translations[lang] = patch
		case strings.TrimSpace(p.Note) != "":
			v.problems = append(v.problems, problem{Field: pre + "note", Label: v.fieldLabel(pre + "note"), Text: v.T("correct_note_alone")})
		}
	}
	if len(c.Translations) == 0 && len(v.problems) == 0 {
		v.Error = v.T("correct_nothing")
	}
	if pf.Get("confirm") != "on" {
		v.problem("confirm", "correct_confirm_label", v.T("err_confirm"))
	}
	if pf.Get("stamp") != strconv.FormatInt(rel.UpdatedAt.UnixNano(), 10) {
		// Someone changed the release since the form was shown: show it
		// as it is now rather than undo their change.
		v.Error = v.T("correct_stale")
		h.showCorrect(w, r, id, http.StatusConflict, v, nil)
		return
	}
	if v.Error != "" || len(v.problems) > 0 {
		h.showCorrect(w, r, id, http.StatusUnprocessableEntity, v, posted)
		return
	}
	who := actor(u)
	if err := h.lifecycle().Correct(ctx, id, c, who); err != nil {
		code := communique.ErrorCode(err)
		if code != communique.EINVALID && code != communique.ECONFLICT {
			h.relFailed(w, r, err)
			return
		}
		v.addProblems(err)
		if len(v.problems) == 0 || code == communique.ECONFLICT {
			v.Error = communique.ErrorMessage(err)
		}
		h.showCorrect(w, r, id, communique.HTTPStatus(code), v, posted)
		return
	}
	h.log.Info("release correct", "release_id", id, "actor", who, "languages", len(c.Translations))
	h.flash(ctx, "flash_correct", "")
	http.Redirect(w, r, "/office/releases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
