package office

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/users"
)

// taxonomyView lists topics and custom regions with the forms that add
// them.
type taxonomyView struct {
	*adminView
	Topics  []taxonomy.Topic
	Regions []taxonomy.Region
	// Audit is the audit log's page and its filters.
	Audit       []releases.AuditEntry
	Actor       string
	ReleaseText string
	NextURL     string
}

// nameLangs are the languages a topic or region is named in on the form.
var nameLangs = []string{"en", "fr", "es", "ar"}

// NameLangs is nameLangs for the templates.
func (v *taxonomyView) NameLangs() []string { return nameLangs }

// NameOf is a topic's or region's name on this page, as the editor
// names it.
func (v *taxonomyView) NameOf(names taxonomy.Names, slug string) string {
	return nameOf(names, v.Lang, slug)
}

// adminTaxonomy shows the topics and the custom regions.
func (h *Handler) adminTaxonomy(w http.ResponseWriter, r *http.Request, u *users.User) {
	h.showTaxonomy(w, r, &taxonomyView{adminView: h.adminView(r, "admin_taxonomy_title")}, http.StatusOK)
}

func (h *Handler) showTaxonomy(w http.ResponseWriter, r *http.Request, v *taxonomyView, status int) {
	ctx := r.Context()
	var err error
	if v.Topics, err = taxonomy.Topics(ctx, h.cfg.DB); err != nil {
		h.failed(w, r, err)
		return
	}
	regions, err := taxonomy.Regions(ctx, h.cfg.DB)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	for _, reg := range regions {
		if !reg.Builtin {
			v.Regions = append(v.Regions, reg)
		}
	}
	h.renderMore(w, r, status, "admin_taxonomy", v.relView, v)
}

// readNames reads a form's names, one field per language.
func readNames(pf url.Values, prefix string) taxonomy.Names {
	n := taxonomy.Names{}
	for _, l := range nameLangs {
		if s := strings.TrimSpace(pf.Get(prefix + "name_" + l)); s != "" {
			n[l] = s
		}
	}
	return n
}

// addTopic creates a topic.
func (h *Handler) addTopic(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx, pf := r.Context(), r.PostForm
	v := &taxonomyView{adminView: h.adminView(r, "admin_taxonomy_title")}
	keep(v.page, pf, "topic_")
	t := taxonomy.Topic{Slug: strings.TrimSpace(pf.Get("topic_slug")), Names: readNames(pf, "topic_")}
	if err := taxonomy.CreateTopic(ctx, h.cfg.DB, t); err != nil {
		h.taxonomyProblems(w, r, v, "topic_", err)
		return
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "topic.create", 0, map[string]any{"topic": t.Slug}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.flash(ctx, "flash_topic_added", t.Slug)
	http.Redirect(w, r, "/office/admin/taxonomy", http.StatusSeeOther)
}

// addRegion creates a custom region of countries.
func (h *Handler) addRegion(w http.ResponseWriter, r *http.Request, u *users.User) {
	ctx, pf := r.Context(), r.PostForm
	v := &taxonomyView{adminView: h.adminView(r, "admin_taxonomy_title")}
	keep(v.page, pf, "region_")
	reg := taxonomy.Region{Slug: strings.TrimSpace(pf.Get("region_slug")), Parent: strings.TrimSpace(pf.Get("region_parent")),
		Names: readNames(pf, "region_")}
	for _, c := range splitList(pf.Get("region_countries")) {
		reg.Countries = append(reg.Countries, strings.ToUpper(c))
	}
	if err := taxonomy.CreateRegion(ctx, h.cfg.DB, reg); err != nil {
		h.taxonomyProblems(w, r, v, "region_", err)
		return
	}
	if err := releases.RecordAudit(ctx, h.cfg.DB, actor(u), "region.create", 0, map[string]any{"region": reg.Slug, "countries": reg.Countries}); err != nil {
		h.failed(w, r, err)
		return
	}
	h.flash(ctx, "flash_region_added", reg.Slug)
	http.Redirect(w, r, "/office/admin/taxonomy", http.StatusSeeOther)
}

// keep shows the posted fields with prefix again.
func keep(p *page, pf url.Values, prefix string) {
	for k := range pf {
		if strings.HasPrefix(k, prefix) {
			p.values[k] = pf.Get(k)
		}
	}
}

// taxonomyProblems shows a refused topic or region with each problem
// next to the field its text starts with.
func (h *Handler) taxonomyProblems(w http.ResponseWriter, r *http.Request, v *taxonomyView, prefix string, err error) {
	code := communique.ErrorCode(err)
	if code != communique.EINVALID && code != communique.ECONFLICT {
		h.failed(w, r, err)
		return
	}
	for _, d := range communique.ErrorDetails(err) {
		field := "slug"
		switch {
		case strings.HasPrefix(d, "names"):
			field = "name_en"
		case strings.HasPrefix(d, "countr"):
			field = "countries"
		case strings.HasPrefix(d, "parent"):
			field = "parent"
		}
		v.problems = append(v.problems, problem{Field: prefix + field, Label: v.T("tax_" + field), Text: d})
	}
	if len(v.problems) == 0 {
		v.Error = communique.ErrorMessage(err)
	}
	h.showTaxonomy(w, r, v, communique.HTTPStatus(code))
}

// adminAudit shows the audit log, oldest first from where the page
// starts, filtered by actor and release.
func (h *Handler) adminAudit(w http.ResponseWriter, r *http.Request, u *users.User) {
	q := r.URL.Query()
	v := &taxonomyView{adminView: h.adminView(r, "admin_audit_title")}
	f := releases.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Limit: 100}
	v.Actor, v.ReleaseText = f.Actor, strings.TrimSpace(q.Get("release"))
	if v.ReleaseText != "" {
		n, err := strconv.ParseInt(v.ReleaseText, 10, 64)
		if err != nil || n <= 0 {
			v.problem("release", "audit_release", v.T("err_number"))
		}
		f.ReleaseID = n
	}
	f.AfterID = v.afterID(q)
	if len(f.Actor) > 300 {
		v.problem("actor", "audit_actor", v.T("err_too_long"))
		f.Actor = ""
	}
	status := http.StatusOK
	if len(v.problems) > 0 {
		status = http.StatusBadRequest
		f.ReleaseID, f.AfterID = 0, 0
	}
	// One more than the page, to know whether another follows.
	f.Limit++
	list, err := releases.Audit(r.Context(), h.cfg.DB, f)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if len(list) == int(f.Limit) {
		list = list[:len(list)-1]
		nq := url.Values{"after": {strconv.FormatInt(list[len(list)-1].ID, 10)}}
		if f.Actor != "" {
			nq.Set("actor", f.Actor)
		}
		if f.ReleaseID != 0 {
			nq.Set("release", strconv.FormatInt(f.ReleaseID, 10))
		}
		v.NextURL = "/office/admin/audit?" + nq.Encode()
	}
	v.Audit = list
	h.renderMore(w, r, status, "admin_audit", v.relView, v)
}

// DetailsText is an audit entry's details as compact JSON.
func (v *taxonomyView) DetailsText(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
