package newsroom

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/communique/communique"
	"github.com/communique/communique/templates"
)

// feedSize is how many entries a feed carries, newest first.
const feedSize = 50

// NSFeed is the namespace of the newsroom's own Atom elements.
const NSFeed = "urn:x-communique:newsroom"

// The Atom document (RFC 4287) as the newsroom writes it.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr"`
	Hreflang string `xml:"hreflang,attr,omitempty"`
	// Title and Length describe an enclosure: a photo or document.
	Title  string `xml:"title,attr,omitempty"`
	Length int64  `xml:"length,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	Lang       string         `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    *atomText      `xml:"content,omitempty"`
	Categories []atomCategory `xml:"category"`
	// Corrected says the text changed since it was first published;
	// Withdrawn that the release was recalled.
	Corrected bool `xml:"urn:x-communique:newsroom corrected"`
	Withdrawn bool `xml:"urn:x-communique:newsroom withdrawn"`
}

// feed serves /feeds/{lang}.atom: the public releases in that language,
// newest first, filtered by region, country and topic.
func (h *Handler) feed(w http.ResponseWriter, r *http.Request, st stamp) {
	ctx := r.Context()
	name, ok := strings.CutSuffix(r.PathValue("file"), ".atom")
	if !ok {
		h.notFound(w, r, uiText(r, ""))
		return
	}
	tag, err := language.Parse(name)
	if err != nil {
		h.problem(w, r, uiText(r, ""), communique.Invalid("invalid feed", []string{fmt.Sprintf("lang: %q is not a language tag", name)}))
		return
	}
	lang := tag.String()
	q := r.URL.Query()
	f, _, err := h.parseFilter(ctx, q, false)
	if err != nil {
		h.problem(w, r, uiText(r, lang), err)
		return
	}
	f.Language, f.Query = lang, ""
	validators(w, etag("feed", lang, q.Encode(), st.key()), lastModified(st))
	entries, err := list(ctx, h.cfg.DB, lang, f, feedSize, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, ok := texts[baseOf(lang)]
	if !ok {
		t = texts["en"]
	}
	self := h.cfg.BaseURL + "/feeds/" + lang + ".atom"
	if v := (filter{Region: f.Region, Country: f.Country, Topic: f.Topic}).values(""); len(v) > 0 {
		self += "?" + v.Encode()
	}
	org := h.frame(r, t, "").Organisation
	doc := atomFeed{Lang: lang, ID: self, Title: org + " · " + t.Newsroom,
		Updated: atomTime(lastModified(st)), Author: atomPerson{Name: org},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: h.cfg.BaseURL + "/?" + f.values(t.Lang, "language", lang).Encode()}}}
	files, err := h.enclosures(ctx, entries)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range entries {
		u := h.cfg.BaseURL + releasePath(e.Slug, e.Language)
		ae := atomEntry{Lang: e.Language, ID: u, Title: e.Title, Updated: atomTime(e.UpdatedAt), Published: atomTime(e.PublishedAt),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: u, Hreflang: e.Language}},
			Corrected: e.Revision > 0, Withdrawn: e.Status == "recalled"}
		for _, topic := range e.Topics {
			ae.Categories = append(ae.Categories, atomCategory{Term: topic})
		}
		if ae.Withdrawn {
			ae.Summary = &atomText{Type: "text", Body: fmt.Sprintf(t.WithdrawnText, t.date(e.UpdatedAt))}
		} else {
			if e.Summary != "" {
				ae.Summary = &atomText{Type: "text", Body: e.Summary}
			}
			body, err := templates.BodyHTML(e.Body, e.Language)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			ae.Content = &atomText{Type: "html", Body: string(body)}
			ae.Links = append(ae.Links, files[e.ID][e.Language]...)
		}
		doc.Entries = append(doc.Entries, ae)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write(buf.Bytes())
}

// atomTime writes an RFC 3339 date; the epoch stands for "never", which
// a feed with no entry yet still has to say.
func atomTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339)
}
