package templates

import (
	"time"

	"github.com/go-playground/locales"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// around is a label that goes on both sides of a value, so a translation can
// put the value wherever its grammar wants it.
type around struct{ Before, After string }

// labels is everything a message says that does not come from the release.
// Adding a language means adding one more value to labelSets; the templates
// only ever read these fields. Every field is a string (or a pair of them):
// administrators' templates see this struct, and nothing in it may compute.
type labels struct {
	// Dir is the writing direction, "ltr" or "rtl"; Start and End are the
	// matching CSS sides, because mail clients ignore logical properties.
	Dir, Start, End string
	// Comma separates the dateline's place from its date; ListSep the
	// items of a list, such as a contact's title and office.
	Comma, ListSep string
	// Quote surrounds a release title cited in a sentence.
	Quote around
	// SubjectSep separates a subject's marker from the title.
	SubjectSep string

	Greeting        around // around the recipient's name
	GreetingNeutral string // when the name is unknown

	ContactHeading string
	Phone, Email   string // prefixes of a contact's phone and e-mail lines

	// Colon follows a label in the plain-text part ("Office: Nouakchott").
	Colon string
	// Image surrounds an image's alt text in the plain-text part;
	// ImageUntitled stands for an image without one.
	Image         around
	ImageUntitled string
	// Isolate surrounds a phone number, an address or a link in the
	// plain-text part: the left-to-right isolate characters in
	// right-to-left languages, nothing in the others (see bidi.go).
	Isolate around

	SentTo      around // around the recipient's address in the footer
	Unsubscribe string
	// ViewOnline is the link to the release's page in the newsroom,
	// PreviewLink the embargoed notice's private link to it.
	ViewOnline, PreviewLink string
	// Media heads the list of a release's photos and documents.
	Media string

	// At joins a date and a time ("1 December 2026 at 09:00"); UTC follows
	// a time in UTC.
	At, UTC string

	// The embargoed notice. Embargoed is followed by the lift time in the
	// subject and the banner; YourTime introduces the lift time in the
	// recipient's time zone.
	Embargoed, EmbargoRule, YourTime string

	// The correction: a subject marker, the sentence around the original's
	// date, and the heading of the press officer's note.
	Corrected          string
	CorrectionReplaces around
	CorrectionNote     string

	// The recall: a subject marker, the sentence around the quoted title,
	// the one around the original's date, the heading of the note.
	Recalled   string
	RecallText around
	RecallSent around
	RecallNote string
	Apology    string

	// The embargo change: a subject marker, the sentence around the quoted
	// title, and the headings of the new and the previous lift times.
	EmbargoChanged     string
	EmbargoChangedText around
	NewLift            string
	PreviousLift       string

	// The subscription confirmation.
	ConfirmSubject, ConfirmHeading, ConfirmText, ConfirmButton, ConfirmFallback, ConfirmIgnore string

	// date formats dates and times the way CLDR says this language does.
	date locales.Translator
}

// French typography wants a no-break space before ":" and inside « », so
// punctuation never wraps to a line of its own.
const nbsp = "\u00a0"

// fallbackLabels serve any language without a label set of its own.
const fallbackLabels = "en"

// labelsFor picks the label set of tag's language, or the fallback's.
func labelsFor(tag language.Tag) *labels {
	base, _ := tag.Base()
	if l, ok := labelSets[base.String()]; ok {
		return l
	}
	return labelSets[fallbackLabels]
}

// Languages lists the languages with built-in labels, in a stable order.
func Languages() []string { return []string{"en", "fr", "es", "ar"} }

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

// dateTime formats t (in its own location) as CLDR's long date and short
// time: "1 December 2026 at 09:00", "1 décembre 2026 à 09:00".
func (l *labels) dateTime(t time.Time) string {
	return l.date.FmtDateLong(t) + l.At + l.date.FmtTimeShort(t)
}

// utc is dateTime in UTC, with its label: "1 December 2026 at 09:00 UTC".
func (l *labels) utc(t time.Time) string {
	return l.dateTime(t.UTC()) + " " + l.UTC
}
