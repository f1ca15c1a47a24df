// Package templates renders a press release into an e-mail's subject,
// plain-text part and HTML part.
//
// Rendering is split in two because an audience is large and a release is
// not: Prepare does the expensive work (Markdown, sanitizing, templates)
// once per release, variant and language; Personalize then costs a few
// string copies per recipient.
package templates

import (
	"fmt"
	htmltemplate "html/template"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/communique/communique"
)

// PressContact is one entry of the release's press-contact block.
type PressContact struct{ Name, Title, Organisation, Phone, Email string }

// Release is one translation of a release, ready to render.
type Release struct {
	ID       int64
	Slug     string
	Language string // BCP 47 tag of this translation, e.g. "fr"
	// Title, Summary and Dateline (the place, e.g. "Genève") are plain text;
	// Body is Markdown.
	Title, Summary, Body, Dateline string
	// PublishedAt is dated in its own location: pass it in the zone of the
	// dateline's place.
	PublishedAt   time.Time
	PressContacts []PressContact // in order
}

// Recipient holds the few per-recipient fields.
type Recipient struct {
	Name           string
	Email          string
	UnsubscribeURL string // may be empty (missions have none)
}

// Prepared is a release rendered for one variant and language; safe for
// concurrent use.
type Prepared struct {
	lang    string
	subject string
	// One layout per form (which optional fields a recipient has), so that
	// templates can use {{if}} on personal fields.
	text, html [forms]layout
}

// view is what the templates see.
type view struct {
	Lang      string // the release's tag, even when labels fall back
	L         *labels
	Title     string
	Summary   string
	Dateline  string // "GENÈVE, 27 novembre 2026 —"
	BodyHTML  htmltemplate.HTML
	BodyText  string
	Contacts  []PressContact
	Recipient Recipient // markers, or empty for absent fields
}

// Prepare renders r for variant; the expensive work (Markdown, sanitizing,
// templates) happens here. An unknown variant, a missing or malformed
// language, an empty title or a zero PublishedAt is an EINVALID error.
func Prepare(variant string, r Release) (*Prepared, error) {
	all, err := variants()
	if err != nil {
		return nil, err
	}
	vt, ok := all[variant]
	if !ok {
		return nil, communique.Errorf(communique.EINVALID, "unknown message variant %q", variant)
	}
	tag, err := language.Parse(r.Language)
	if err != nil {
		return nil, communique.Errorf(communique.EINVALID, "release %d: language %q is not a BCP 47 tag", r.ID, r.Language)
	}
	v := view{
		Lang:     tag.String(),
		L:        labelsFor(tag),
		Title:    oneLine(r.Title),
		Summary:  oneLine(r.Summary),
		Contacts: cleanContacts(r.PressContacts),
	}
	if v.Title == "" {
		return nil, communique.Errorf(communique.EINVALID, "release %d (%s): title is empty", r.ID, v.Lang)
	}
	if r.PublishedAt.IsZero() {
		return nil, communique.Errorf(communique.EINVALID, "release %d (%s): publication date is not set", r.ID, v.Lang)
	}
	v.Dateline = dateline(r.Dateline, r.PublishedAt, tag, v.L)

	b, err := renderBody([]byte(r.Body), v.L.Dir)
	if err != nil {
		return nil, fmt.Errorf("templates: release %d (%s): %w", r.ID, v.Lang, err)
	}
	v.BodyHTML = htmltemplate.HTML(b.html) // sanitized by renderBody
	v.BodyText = b.text

	p := &Prepared{lang: v.Lang}
	if err := p.render(vt, &v); err != nil {
		return nil, fmt.Errorf("templates: release %d, %s/%s: %w", r.ID, variant, v.Lang, err)
	}
	return p, nil
}

// render executes the templates: the subject once, the parts once per form.
func (p *Prepared) render(vt *variantTemplates, v *view) error {
	var b strings.Builder
	if err := vt.subject.Execute(&b, v); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	p.subject = oneLine(b.String())

	intern := make(map[string]string)
	for f := range forms {
		v.Recipient = placeholders(f)
		b.Reset()
		if err := vt.text.ExecuteTemplate(&b, vt.name+".txt.tmpl", v); err != nil {
			return fmt.Errorf("text part: %w", err)
		}
		var err error
		if p.text[f], err = cut(b.String(), intern); err != nil {
			return fmt.Errorf("text part: %w", err)
		}
		b.Reset()
		if err := vt.html.ExecuteTemplate(&b, vt.name+".html.tmpl", v); err != nil {
			return fmt.Errorf("html part: %w", err)
		}
		if p.html[f], err = cut(b.String(), intern); err != nil {
			return fmt.Errorf("html part: %w", err)
		}
	}
	return nil
}

// Language returns the BCP 47 tag the message is in, in canonical form.
func (p *Prepared) Language() string { return p.lang }

// Subject returns the message subject; it never contains CR, LF or any
// other control character.
func (p *Prepared) Subject() string { return p.subject }

// Personalize returns the text and HTML parts for one recipient. It
// executes no template and parses no Markdown: it joins fragments cut in
// Prepare with the recipient's fields, HTML-escaped in the HTML part.
func (p *Prepared) Personalize(rc Recipient) (text, html string) {
	tv := textValues(rc)
	hv := htmlValues(tv)
	f := formOf(&tv)
	return p.text[f].join(&tv), p.html[f].join(&hv)
}

// labelsFor picks the label set of tag's language, or the fallback's.
func labelsFor(tag language.Tag) *labels {
	base, _ := tag.Base()
	if l, ok := labelSets[base.String()]; ok {
		return l
	}
	return labelSets[fallbackLabels]
}

// dateline returns "PLACE, DATE —" with the place upper-cased by the rules
// of the release's language and the date in its CLDR long form.
func dateline(place string, t time.Time, tag language.Tag, l *labels) string {
	date := l.date.FmtDateLong(t)
	place = oneLine(place)
	if place == "" {
		return date + " —"
	}
	return cases.Upper(tag).String(place) + l.Comma + " " + date + " —"
}

// cleanContacts keeps every field on one line and drops empty entries.
func cleanContacts(in []PressContact) []PressContact {
	out := make([]PressContact, 0, len(in))
	for _, c := range in {
		c = PressContact{
			Name: oneLine(c.Name), Title: oneLine(c.Title), Organisation: oneLine(c.Organisation),
			Phone: oneLine(c.Phone), Email: oneLine(c.Email),
		}
		if c != (PressContact{}) {
			out = append(out, c)
		}
	}
	return out
}
