package office

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// panelSample is how many names the audience panel shows.
const panelSample = 5

// audiencePanel is who the editor's audience reaches, beside the form.
type audiencePanel struct {
	*releases.SelectionAudience
	// Err says why it could not be counted: an unknown region, say.
	Err string
	// Pending says the page's script counts it once the page is shown.
	Pending bool
}

// jsCookie is set by the office's script on the first page it runs in.
const jsCookie = "office_js"

// scripted says a GET page may leave the audience count to its script:
// the browser runs the office's script (it set jsCookie), and ?count is
// not asked. Counting an audience of 100,000 contacts takes a good part
// of a second; a page that waited for it would be that slow, so the
// script fetches the count as soon as the page is shown. A browser that
// has stopped running scripts since gets a link with ?count=1, which
// counts in the page as it does for a browser that never ran them.
func scripted(r *http.Request) bool {
	if r.Method != http.MethodGet || r.URL.Query().Get("count") != "" {
		return false
	}
	c, err := r.Cookie(jsCookie)
	return err == nil && c.Value == "1"
}

// Nobody says publishing would send to no one at all, which the release
// page refuses.
func (p *audiencePanel) Nobody() bool {
	return p.SelectionAudience != nil && nobody(&p.Audience)
}

// nobody says an audience counted reaches no one, neither with the
// public version nor with the embargoed notice: publishing is refused.
func nobody(a *releases.Audience) bool {
	return a != nil && a.Total == 0 && (a.Embargo == nil || a.Embargo.Total == 0)
}

// selection is the audience the form holds, embargo included when its
// time reads as one.
func (v *relView) selection(f *editorForm) releases.Selection {
	sel := releases.Selection{Regions: f.Regions, Countries: f.Countries, Topics: f.Topics,
		Languages: f.Langs, Original: f.Original,
		EmbargoAudience: releases.EmbargoAudience{Missions: f.Missions, VerifiedJournalists: f.Verified}}
	if f.Embargo != "" {
		if t, err := parseLocal(f.Embargo, v.loc); err == nil {
			sel.EmbargoUntil = &t
		}
	}
	return sel
}

// fillPanel counts the form's audience for the panel. A count that
// fails for bad input says so in the panel; the editor is shown anyway,
// since the form itself names the field.
func (h *Handler) fillPanel(ctx context.Context, v *relView) {
	p := &audiencePanel{}
	a, err := releases.AudienceOf(ctx, h.cfg.DB, v.selection(v.Form), templates.MatchLanguage, time.Now(), panelSample)
	switch {
	case err == nil:
		p.SelectionAudience = a
	case communique.ErrorCode(err) == communique.EINVALID:
		p.Err = v.T("panel_invalid", strings.Join(communique.ErrorDetails(err), "; "))
	case ctx.Err() != nil:
		// The script cancelled a count it no longer wants.
		p.Err = v.T("panel_failed")
	default:
		h.log.Error("count the editor's audience", "release_id", v.Form.ID, "error", err)
		p.Err = v.T("panel_failed")
	}
	v.Form.Panel = p
}

// audience answers the editor's form with its audience panel, counted
// for what the form holds now, saved or not.
func (h *Handler) audience(w http.ResponseWriter, r *http.Request, u *users.User) {
	v := h.relView(r, "editor_edit_title")
	v.Form = readEditor(r, v)
	h.fillPanel(r.Context(), v)
	status := http.StatusOK
	if v.Form.Panel.Err != "" {
		status = http.StatusUnprocessableEntity
	}
	h.fragment(w, r, status, "audience-panel", v)
}

// fragment writes one block of the editor's page, buffered like a page.
func (h *Handler) fragment(w http.ResponseWriter, r *http.Request, status int, name string, v *relView) {
	b, ok := h.block(w, "editor", name, v)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// block renders one block of a release page; a template failure is
// logged and answered, and ok is false.
func (h *Handler) block(w http.ResponseWriter, page, name string, v *relView) (b []byte, ok bool) {
	var buf bytes.Buffer
	if err := releasePages[page].ExecuteTemplate(&buf, name, v); err != nil {
		h.log.Error("render office fragment", "fragment", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return nil, false
	}
	return buf.Bytes(), true
}

// regionNode is a region of the editor's tree, with the regions inside it.
type regionNode struct {
	choice
	Checked  bool
	Children []*regionNode
}

// RegionTree nests the built-in regions as UN M49 does (region,
// sub-region, intermediate region); CustomRegions are the others.
func (v *relView) RegionTree() []*regionNode {
	nodes := map[string]*regionNode{}
	for _, c := range v.RegionChoices {
		if !c.Custom {
			nodes[c.Value] = &regionNode{choice: c, Checked: v.Form != nil && slices.Contains(v.Form.Regions, c.Value)}
		}
	}
	var roots []*regionNode
	for _, c := range v.RegionChoices {
		n := nodes[c.Value]
		if n == nil {
			continue
		}
		if parent := nodes[c.Parent]; parent != nil && c.Parent != c.Value {
			parent.Children = append(parent.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// CustomRegions are the regions administrators made.
func (v *relView) CustomRegions() []choice {
	var out []choice
	for _, c := range v.RegionChoices {
		if c.Custom {
			out = append(out, c)
		}
	}
	return out
}

// releaseAudience answers the release page's script with what the page
// left out: the draft's audience section and its publish sentence, and
// whether publishing is refused for want of anyone to send to.
func (h *Handler) releaseAudience(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	ctx := r.Context()
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v := h.relView(r, "release_title")
	v.ReleaseID, v.Rel = id, rel
	var out struct {
		Audience string `json:"audience"`
		Publish  string `json:"publish"`
		Nobody   bool   `json:"nobody"`
		Why      string `json:"why,omitempty"`
	}
	// Only a draft has an audience to show: the others have deliveries.
	if rel.Status == releases.StatusDraft {
		if v.Audience, err = releases.ReleaseAudience(ctx, h.cfg.DB, rel, templates.MatchLanguage, time.Now()); err != nil {
			h.relFailed(w, r, err)
			return
		}
		b, ok := h.block(w, "release", "release-audience", v)
		if !ok {
			return
		}
		out.Audience, out.Publish = string(b), v.publishSentence(rel, v.Audience)
		if nobody(v.Audience) {
			out.Nobody, out.Why = true, v.T("why_nobody")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
