package newsroom

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/templates"
)

// layoutData is what every page's frame shows.
type layoutData struct {
	T            *text
	Base         string // the service's public URL, for absolute links
	Organisation string
	// LogoURL, Footer and Address are the rest of the organisation's
	// branding; empty when not set.
	LogoURL         string
	Footer, Address []string
	Title           string
	Canonical       string
	// Switch links the same page in the newsroom's other languages.
	Switch []alternate
}

type alternate struct {
	// URL is absolute, for <link> and the sitemap; Path is the link a
	// reader follows, which stays on the host they came by.
	Lang, Name, URL, Path string
	Current               bool
}

type listItem struct {
	entry
	URL, Date, Dir string
	Corrected      bool
	Withdrawn      bool
}

type homeData struct {
	layoutData
	Items        []listItem
	Filter       filter
	Facets       facets
	Newer, Older string
	FeedURL      string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, st stamp) {
	ctx := r.Context()
	q := r.URL.Query()
	t := uiText(r, q.Get("lang"))
	f, pageNo, err := h.parseFilter(ctx, q, true)
	if err != nil {
		h.problem(w, r, t, err)
		return
	}
	validators(w, etag("home", t.Lang, q.Encode(), st.key()), lastModified(st))
	entries, err := list(ctx, h.cfg.DB, t.Lang, f, pageSize+1, (pageNo-1)*pageSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := homeData{Filter: f}
	d.layoutData = h.layout(r, t, t.Newsroom, "/", f.values(t.Lang, "page", pageParam(pageNo)))
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		d.Older = "/?" + f.values(t.Lang, "page", strconv.Itoa(pageNo+1)).Encode()
	}
	if pageNo > 1 {
		d.Newer = "/?" + f.values(t.Lang, "page", pageParam(pageNo-1)).Encode()
	}
	for _, e := range entries {
		d.Items = append(d.Items, listItem{entry: e, URL: releasePath(e.Slug, e.Language),
			Date: t.date(e.PublishedAt), Dir: templates.Direction(e.Language),
			Corrected: e.Revision > 0, Withdrawn: e.Status == "recalled"})
	}
	if d.Facets, err = h.facets(r, t, f); err != nil {
		h.fail(w, r, err)
		return
	}
	feedLang := t.Lang
	if f.Language != "" {
		feedLang = f.Language
	}
	d.FeedURL = "/feeds/" + feedLang + ".atom"
	if v := (filter{Region: f.Region, Country: f.Country, Topic: f.Topic}).values(""); len(v) > 0 {
		d.FeedURL += "?" + v.Encode()
	}
	h.render(w, http.StatusOK, "home", d)
}

// pageParam leaves the first page out of links, so it has one address.
func pageParam(n int) string {
	if n <= 1 {
		return ""
	}
	return strconv.Itoa(n)
}

func (h *Handler) facets(r *http.Request, t *text, f filter) (facets, error) {
	regions, topics, countries, languages, err := getFacets(r.Context(), h.cfg.DB)
	if err != nil {
		return facets{}, err
	}
	var out facets
	for _, g := range regions {
		out.Regions = append(out.Regions, option{g.Slug, g.Names.In(t.Lang), g.Slug == f.Region})
	}
	for _, g := range topics {
		out.Topics = append(out.Topics, option{g.Slug, g.Names.In(t.Lang), g.Slug == f.Topic})
	}
	for _, c := range countries {
		out.Countries = append(out.Countries, option{c, taxonomy.CountryName(c, t.Lang), c == f.Country})
	}
	for _, l := range languages {
		out.Languages = append(out.Languages, option{l, languageName(l), l == f.Language})
	}
	return out, nil
}

type releaseData struct {
	layoutData
	P            *page
	Dir          string
	Body         template.HTML
	Date         string
	Corrections  []dated
	WithdrawnMsg string
	Alternates   []alternate
	XDefault     string
	OG           map[string]string
	JSONLD       map[string]any
	// Embargo and PreviewFor head a private preview.
	Embargo, PreviewFor string
	// Media are the release's photos and documents.
	Media pageMedia
}

type dated struct{ Date, Note string }

func (h *Handler) release(w http.ResponseWriter, r *http.Request, st stamp) {
	ctx := r.Context()
	slug := r.PathValue("slug")
	want := r.URL.Query().Get("lang")
	if want != "" {
		tag, err := language.Parse(want)
		if err != nil {
			h.problem(w, r, uiText(r, ""), communique.Invalid("invalid language", []string{fmt.Sprintf("lang: %q is not a language tag", want)}))
			return
		}
		want = tag.String()
	}
	if want == "" {
		want = h.preferred(ctx, r, slug)
	}
	p, err := getPage(ctx, h.cfg.DB, slug, want)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p == nil {
		h.notFound(w, r, uiText(r, want))
		return
	}
	t, ok := texts[baseOf(p.Language)]
	if !ok {
		t = uiText(r, "")
	}
	validators(w, etag("release", strconv.FormatInt(st.Brand, 10), p.Slug, p.Language, t.Lang, p.Status, strconv.Itoa(p.Revision), p.UpdatedAt.UTC().Format(time.RFC3339Nano)), p.UpdatedAt)
	d := releaseData{P: p, Dir: templates.Direction(p.Language), Date: t.date(p.PublishedAt)}
	d.layoutData = h.layout(r, t, p.Title, releasePath(p.Slug, p.Language), nil)
	d.Switch = nil // the release's own languages replace the newsroom's
	for _, l := range p.Languages {
		d.Alternates = append(d.Alternates, alternate{Lang: l, Name: languageName(l),
			URL: h.cfg.BaseURL + releasePath(p.Slug, l), Path: releasePath(p.Slug, l), Current: l == p.Language})
	}
	d.XDefault = h.cfg.BaseURL + "/releases/" + url.PathEscape(p.Slug)
	if p.Status == "recalled" {
		at := p.PublishedAt
		if p.RecalledAt != nil {
			at = *p.RecalledAt
		}
		d.WithdrawnMsg = fmt.Sprintf(t.WithdrawnText, t.date(at))
	} else {
		body, err := templates.BodyHTML(p.Body, p.Language)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Body = body
		for _, c := range p.Corrections {
			d.Corrections = append(d.Corrections, dated{Date: fmt.Sprintf(t.CorrectedOn, t.date(c.At)), Note: c.Note})
		}
	}
	d.OG, d.JSONLD = h.metadata(p, d.Canonical, d.Organisation)
	if err := h.withMedia(w, r, &d, ""); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "release", d)
}

// preferred picks the language of a release page asked for without
// ?lang=: the browser's choice among the release's languages; "" leaves
// it to the original.
func (h *Handler) preferred(ctx context.Context, r *http.Request, slug string) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) == 0 {
		return ""
	}
	var langs []string
	if err := h.cfg.DB.SelectContext(ctx, &langs, `
		SELECT t.language FROM release_translations t JOIN releases r ON r.id = t.release_id
		WHERE r.slug = $1 ORDER BY t.language`, slug); err != nil || len(langs) == 0 {
		return ""
	}
	var have []language.Tag
	for _, l := range langs {
		have = append(have, language.Make(l))
	}
	_, i, conf := language.NewMatcher(have).Match(tags...)
	if conf == language.No {
		return ""
	}
	return langs[i]
}

// metadata is the page's OpenGraph properties and its schema.org
// NewsArticle.
func (h *Handler) metadata(p *page, canonical, org string) (map[string]string, map[string]any) {
	desc := p.Summary
	if p.Status == "recalled" {
		desc = ""
	}
	og := map[string]string{
		"og:type": "article", "og:title": p.Title, "og:url": canonical, "og:site_name": org,
		"og:locale": p.Language, "article:published_time": p.PublishedAt.UTC().Format(time.RFC3339),
		"article:modified_time": p.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if desc != "" {
		og["og:description"] = desc
	}
	ld := map[string]any{
		"@context": "https://schema.org", "@type": "NewsArticle",
		"headline": p.Title, "inLanguage": p.Language, "url": canonical, "mainEntityOfPage": canonical,
		"datePublished": p.PublishedAt.UTC().Format(time.RFC3339), "dateModified": p.UpdatedAt.UTC().Format(time.RFC3339),
		"publisher": map[string]any{"@type": "Organization", "name": org},
		"author":    map[string]any{"@type": "Organization", "name": org},
	}
	if desc != "" {
		ld["description"] = desc
	}
	if p.Dateline != "" {
		ld["dateline"] = p.Dateline
	}
	return og, ld
}

// layout fills the frame: canonical address, and the same page in the
// newsroom's four languages.
func (h *Handler) layout(r *http.Request, t *text, title, path string, v url.Values) layoutData {
	d := h.frame(r, t, title)
	canon := url.Values{}
	for k, vs := range v {
		canon[k] = vs
	}
	d.Canonical = h.cfg.BaseURL + path
	if enc := canon.Encode(); enc != "" && v != nil {
		d.Canonical += sep(path) + enc
	}
	for _, l := range templates.Languages() {
		sw := url.Values{}
		for k, vs := range v {
			sw[k] = vs
		}
		sw.Set("lang", l)
		d.Switch = append(d.Switch, alternate{Lang: l, Name: texts[l].LangName, URL: "/?" + sw.Encode(), Current: l == t.Lang})
	}
	return d
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// releasePath is the address of a release in one language.
func releasePath(slug, lang string) string {
	return "/releases/" + url.PathEscape(slug) + "?lang=" + url.QueryEscape(lang)
}

func baseOf(lang string) string {
	t, err := language.Parse(lang)
	if err != nil {
		return lang
	}
	b, _ := t.Base()
	return b.String()
}

func stampTime(s stamp) string {
	if s.Updated == nil {
		return ""
	}
	return s.Updated.UTC().Format(time.RFC3339Nano)
}

func lastModified(s stamp) time.Time {
	if s.Updated == nil {
		return time.Time{}
	}
	return *s.Updated
}

type messageData struct {
	layoutData
	Heading string
	Lines   []string
}

// problem answers bad input with its status and every detail, each
// naming its field.
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, t *text, err error) {
	if communique.ErrorCode(err) == communique.EINTERNAL {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	d := messageData{layoutData: h.layout(r, t, communique.ErrorMessage(err), "/", nil),
		Heading: communique.ErrorMessage(err), Lines: communique.ErrorDetails(err)}
	h.render(w, communique.HTTPStatus(communique.ErrorCode(err)), "message", d)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, t *text) {
	// Never cached: the same address becomes a page at the lift.
	w.Header().Set("Cache-Control", "no-store")
	d := messageData{layoutData: h.layout(r, t, "404", "/", nil), Heading: t.NotFound}
	h.render(w, http.StatusNotFound, "message", d)
}
