// Package templates renders a press release into an e-mail's subject,
// plain-text part and HTML part, in every message the service sends (the
// public release, the embargoed notice, the correction, the recall, the
// embargo change) and the subscription confirmation.
//
// Rendering is split in two because an audience is large and a release is
// not: Prepare does the expensive work (Markdown, sanitizing, templates)
// once per release, message and language; Personalize, or WriteMessage for
// complete MIME bytes, then costs a few copies per recipient.
//
// Administrators may replace any message's templates per language
// (Overrides); an override is checked when saved and can neither run code
// nor break headers.
package templates

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"sync"
	"sync/atomic"
	"time"

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
	// PublishedAt dates the release, in its own location: pass it in the
	// zone of the dateline's place. Required, except for the embargoed
	// notice and the embargo change, which date it by EmbargoUntil if unset.
	PublishedAt   time.Time
	PressContacts []PressContact // in order

	// EmbargoUntil is the lift time. Required for VariantEmbargoed and
	// VariantEmbargoChanged (the new time). A correction whose EmbargoUntil
	// is after its PublishedAt (pass the time of sending as PublishedAt
	// while the release is embargoed) is still under embargo: its subject
	// and banner carry the embargo marker too. The public message and the
	// recall ignore it.
	EmbargoUntil time.Time
	// PreviousEmbargoUntil is the lift time before an embargo change; optional.
	PreviousEmbargoUntil time.Time
	// CorrectionNote says what a correction changed, RecallNote why a
	// release was withdrawn; plain text, optional.
	CorrectionNote, RecallNote string
	// URL is the release's page in the newsroom, in this language; the
	// public message and the correction link to it ("view online"), the
	// others do not, since the page does not exist yet or shows only the
	// withdrawal. Empty shows no link.
	URL string
	// Greeting opens every message with a greeting line: the language's
	// salutation with the recipient's name ("Dear Ana Silva,"), or its
	// neutral form when the name is unknown. Off by default, as most press
	// offices send their releases; institutions are never greeted (see
	// Recipient.Institution).
	Greeting bool
	// Media are the release's photos and documents, which the public
	// message and the correction list as links; none changes nothing.
	Media []MediaLink
}

// Recipient holds the few per-recipient fields.
type Recipient struct {
	Name           string
	Email          string
	UnsubscribeURL string // may be empty (missions have none)
	// PreviewURL is the recipient's private link to the release's page
	// before the lift; only the embargoed notice shows it.
	PreviewURL string
	// TimeZone is the recipient's IANA time zone ("Europe/Paris"); messages
	// about an embargo show the lift time there as well as in UTC. Empty or
	// unknown reads as UTC.
	TimeZone string
	// Institution marks a recipient that is an institution, such as a
	// member-state mission. A press office writes to a mission as it
	// writes to a newsroom, without "Dear …": even a release that greets
	// its readers greets no institution, neither by the contact's name
	// nor as "Sir or Madam".
	Institution bool
	// Track, when set, counts the recipient's opens and clicks; only
	// AppendMessage and WriteMessage heed it.
	Track *Tracking
}

// Prepared is a release rendered for one message and language; safe for
// concurrent use.
type Prepared struct {
	lang    string
	subject string
	// One layout per form (which optional fields a recipient has), so that
	// templates can use {{if}} on personal fields.
	text, html [forms]layout

	// Embargo times, for the per-zone fragments; zoned is false when the
	// message shows no lift time.
	zoned              bool
	lift, previousLift time.Time
	// previews is true for the embargoed notice, the one message that
	// links to a private preview of the release.
	previews bool
	labels   *labels
	// greet holds the greeting lines, nil when the message opens without.
	greet     *greetings
	zones     sync.Map // time zone name → *zoneTimes
	zoneCount atomic.Int32

	overrideErr error
	mime        mimeCache
}

// view is what the templates see. Every field is a string, or a struct or
// slice of strings: administrators' templates see it too, so nothing in it
// may compute, and no field is a number a template could loop over.
type view struct {
	Message   string // the variant, e.g. "embargoed"
	Lang      string // the release's tag, even when labels fall back
	L         *labels
	Title     string
	Summary   string
	Dateline  string // "GENÈVE, 27 novembre 2026 —"
	BodyHTML  htmltemplate.HTML
	BodyText  string
	Contacts  []PressContact
	Sent      string // the release's date: "27 novembre 2026"
	LiftUTC   string // "1 décembre 2026 à 09:00 UTC", if the message has a lift time
	Embargo   string // "SOUS EMBARGO JUSQU'AU 1 décembre 2026 à 09:00 UTC", likewise
	Previous  string // the previous lift time in UTC, for an embargo change
	Note      string // the correction or recall note
	URL       string // the release's page, in the public message and the correction
	Brand     brandView
	Recipient recipientView
}

// maxPart bounds a part the built-in templates render, besides the
// body: far more than any release needs, so that only a release with
// thousands of press contacts could reach it. Overrides have tighter
// limits (see overrideLimits).
const maxPart = 4 << 20

// Prepare renders r for variant with the built-in templates; see PrepareWith.
func Prepare(variant string, r Release) (*Prepared, error) {
	return PrepareContext(context.Background(), Overrides{}, variant, r)
}

// PrepareWith is PrepareContext without a context.
func PrepareWith(ov Overrides, variant string, r Release) (*Prepared, error) {
	return PrepareContext(context.Background(), ov, variant, r)
}

// PrepareContext renders r for variant with ov's template for the variant
// and r's language if there is one, else the built-in. The expensive work
// (Markdown, sanitizing, templates) happens here. Bad input (an unknown
// variant, a malformed language, an empty title, a missing date or lift
// time) is an EINVALID error.
//
// An override runs under a budget of steps, output bytes and time (see
// overrideLimits). One that fails on this release or passes its budget
// (saved overrides render a sample release, but real data can differ)
// does not stop the message: the built-in template renders it, and
// OverrideError reports why. When ctx ends, rendering stops and ctx's
// error is returned.
func PrepareContext(ctx context.Context, ov Overrides, variant string, r Release) (*Prepared, error) {
	builtin, err := builtinTemplates(variant)
	if err != nil {
		return nil, err
	}
	v, p, err := newView(variant, r)
	if err != nil {
		return nil, err
	}
	v.Brand = ov.brand.view(v.Lang)
	if mt := ov.lookup(variant, v.Lang); mt != nil {
		err := p.render(ctx, mt, v, ov.limits())
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("templates: release %d, %s/%s: %w", r.ID, variant, v.Lang, ctx.Err())
		}
		p.overrideErr = fmt.Errorf("templates: override %s/%s on release %d: %w", variant, mt.lang, r.ID, err)
		p.text, p.html = [forms]layout{}, [forms]layout{}
	}
	if err := p.render(ctx, builtin, v, builtinLimits); err != nil {
		return nil, fmt.Errorf("templates: release %d, %s/%s: %w", r.ID, variant, v.Lang, err)
	}
	return p, nil
}

// newView validates r for variant and computes everything the templates
// show but the recipient's fields.
func newView(variant string, r Release) (*view, *Prepared, error) {
	tag, err := language.Parse(r.Language)
	if err != nil {
		return nil, nil, communique.Errorf(communique.EINVALID, "release %d: language %q is not a BCP 47 tag", r.ID, r.Language)
	}
	l := labelsFor(tag)
	v := &view{
		Message:  variant,
		Lang:     tag.String(),
		L:        l,
		Title:    oneLine(r.Title),
		Summary:  oneLine(r.Summary),
		Contacts: cleanContacts(r.PressContacts),
	}
	if v.Title == "" {
		return nil, nil, communique.Errorf(communique.EINVALID, "release %d (%s): title is empty", r.ID, v.Lang)
	}
	switch variant {
	case VariantEmbargoed, VariantEmbargoChanged:
		if r.EmbargoUntil.IsZero() {
			return nil, nil, communique.Errorf(communique.EINVALID, "release %d (%s): the %s message needs the lift time (embargo_until)", r.ID, v.Lang, variant)
		}
		if r.PublishedAt.IsZero() {
			r.PublishedAt = r.EmbargoUntil
		}
	}
	if r.PublishedAt.IsZero() {
		return nil, nil, communique.Errorf(communique.EINVALID, "release %d (%s): publication date is not set", r.ID, v.Lang)
	}
	v.Dateline = dateline(r.Dateline, r.PublishedAt, tag, l)
	v.Sent = l.date.FmtDateLong(r.PublishedAt)
	switch variant {
	case VariantPublic:
		v.URL = r.URL
	case VariantCorrection:
		v.Note = oneLine(r.CorrectionNote)
		v.URL = r.URL
	case VariantRecall:
		v.Note = oneLine(r.RecallNote)
	}

	p := &Prepared{lang: v.Lang, labels: l, previews: variant == VariantEmbargoed}
	if r.Greeting {
		p.greet = newGreetings(l)
	}
	// A correction is still under embargo if it lifts after the release's
	// date: a caller may pass the lift time of an embargo long over.
	underEmbargo := variant == VariantEmbargoed || variant == VariantEmbargoChanged ||
		(variant == VariantCorrection && r.EmbargoUntil.After(r.PublishedAt))
	if !r.EmbargoUntil.IsZero() && underEmbargo {
		p.zoned, p.lift = true, r.EmbargoUntil
		v.LiftUTC = l.utc(r.EmbargoUntil)
		v.Embargo = l.Embargoed + " " + v.LiftUTC
		if variant == VariantEmbargoChanged && !r.PreviousEmbargoUntil.IsZero() {
			p.previousLift = r.PreviousEmbargoUntil
			v.Previous = l.utc(r.PreviousEmbargoUntil)
		}
	}

	b, err := renderBody([]byte(r.Body), l)
	if err != nil {
		return nil, nil, fmt.Errorf("templates: release %d (%s): %w", r.ID, v.Lang, err)
	}
	v.BodyHTML = htmltemplate.HTML(b.html) // sanitized by renderBody
	v.BodyText = b.text
	addMedia(v, l, variant, r.Media)
	return v, p, nil
}

// render executes the templates under lim: the subject once, the parts
// once per form.
func (p *Prepared) render(ctx context.Context, mt *messageTemplates, v *view, lim limits) error {
	b := newBudget(ctx, lim)
	mt, err := mt.budgeted(b)
	if err != nil {
		return err
	}
	w := &writer{b: b}
	v.Recipient = recipientView{} // the subject is shared: no personal field
	b.start("subject", 0)
	if err := b.result(mt.subject.Execute(w, v)); err != nil {
		return partError("subject", err)
	}
	subject := oneLine(w.String())
	if subject == "" {
		return errors.New("subject: renders empty")
	}

	intern := make(map[string]string)
	for f := range forms {
		if f&localBit != 0 && !p.zoned || f&previewBit != 0 && !p.previews {
			continue // no recipient can have this form
		}
		v.Recipient = placeholders(f, !p.previousLift.IsZero(), p.greet != nil)
		w.Reset()
		b.start("text", len(v.BodyText))
		if err := b.result(mt.text.ExecuteTemplate(w, mt.textEntry, v)); err != nil {
			return partError("text", err)
		}
		var err error
		if p.text[f], err = cut(w.String(), intern); err != nil {
			return fmt.Errorf("text: %w", err)
		}
		w.Reset()
		b.start("html", len(v.BodyHTML))
		if err := b.result(mt.html.ExecuteTemplate(w, mt.htmlEntry, v)); err != nil {
			return partError("html", err)
		}
		if mt.override {
			if err := checkMarkers(w.String()); err != nil {
				return fmt.Errorf("html: %w", err)
			}
		}
		if p.html[f], err = cut(w.String(), intern); err != nil {
			return fmt.Errorf("html: %w", err)
		}
	}
	p.subject = subject
	return nil
}

// partError names the part an execution error happened in, unless it
// already does (a bound passed) or is the context's.
func partError(part string, err error) error {
	var be *budgetError
	if errors.As(err, &be) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", part, err)
}

// Language returns the BCP 47 tag the message is in, in canonical form.
func (p *Prepared) Language() string { return p.lang }

// Subject returns the message subject; it never contains CR, LF or any
// other control character. It is shared by all recipients, so a lift time
// in it is in UTC.
func (p *Prepared) Subject() string { return p.subject }

// OverrideError reports why an administrator's override could not render
// this release, in which case the built-in template did; nil otherwise.
func (p *Prepared) OverrideError() error { return p.overrideErr }

// Personalize returns the text and HTML parts for one recipient. It
// executes no template and parses no Markdown: it joins fragments cut in
// Prepare with the recipient's fields, HTML-escaped in the HTML part, and
// the lift times of their time zone, computed once per zone.
func (p *Prepared) Personalize(rc Recipient) (text, html string) {
	tv, hv := p.values(rc)
	f := formOf(&tv)
	return p.text[f].join(&tv), p.html[f].join(&hv)
}

// values returns rc's fields for the text part and for the HTML part.
func (p *Prepared) values(rc Recipient) (tv, hv values) {
	if !p.previews {
		rc.PreviewURL = "" // no form of this message has it
	}
	tv = textValues(rc)
	hv = htmlValues(tv)
	if p.greet != nil && !rc.Institution {
		p.greet.set(&tv, &hv)
	}
	if p.zoned {
		z := p.zone(rc.TimeZone)
		tv.local, tv.previous = z.text[0], z.text[1]
		hv.local, hv.previous = z.html[0], z.html[1]
	}
	return tv, hv
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
