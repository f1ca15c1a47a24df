package templates

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"strings"
	"unicode"
)

// Personal fields are rendered into the templates as markers, and the output
// is cut at the markers once, in Prepare. Personalize then only joins the
// cut pieces with each recipient's values.
//
// A marker is a random prefix, fixed per process, and one field letter. It
// is made of ASCII letters and digits only, so html/template passes it
// through unchanged in text, attributes and URLs alike; and release text
// cannot contain it by chance or by design, the prefix being unknowable.
var markerPrefix = func() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return "cqslot" + hex.EncodeToString(b[:])
}()

// field is a per-recipient value a template may show.
type field byte

const (
	fieldName  field = 'N'
	fieldEmail field = 'E'
	fieldURL   field = 'U'
	// fieldLocal is the lift time in the recipient's time zone, and
	// fieldPrevious the previous lift time there; both are empty for
	// recipients in UTC, and they share fieldLocal's form bit.
	fieldLocal    field = 'L'
	fieldPrevious field = 'P'
	// fieldGreeting is the whole greeting line, empty for a recipient who
	// gets none (see greeting.go).
	fieldGreeting field = 'G'
	// fieldPreview is the recipient's own link to the release's page
	// before the lift, in the embargoed notice only.
	fieldPreview field = 'V'
)

// optional lists the fields whose absence changes the layout (a template
// tests them with {{if}}); Prepare renders one form per combination.
var optional = [...]field{fieldName, fieldEmail, fieldURL, fieldLocal, fieldPreview}

// localBit is fieldLocal's bit in a form number, previewBit
// fieldPreview's.
const (
	localBit   = 1 << 3
	previewBit = 1 << 4
)

const forms = 1 << len(optional)

func marker(f field) string { return markerPrefix + string(f) }

// formOf returns which form fits a recipient: bit i is set when optional[i]
// has a value.
func formOf(v *values) int {
	f := 0
	for i, fd := range optional {
		if v.get(fd) != "" {
			f |= 1 << i
		}
	}
	return f
}

// recipientView is the recipient a template sees: markers where a form has
// a value, empty strings elsewhere.
type recipientView struct {
	Name, Email, UnsubscribeURL string
	// LocalLift and PreviousLocalLift are the lift times in the
	// recipient's time zone, for messages about an embargo.
	LocalLift, PreviousLocalLift string
	// Greeting is the greeting line, with its line break, when the
	// release greets its readers: empty otherwise, and for a recipient
	// who gets none. In the HTML part it is a paragraph.
	Greeting string
	// PreviewURL is the recipient's private link to the release's page
	// before the lift, in the embargoed notice; empty elsewhere.
	PreviewURL string
}

// placeholders returns the recipient a template sees when rendering form
// f; hasPrevious says whether the message has a previous lift time,
// greets whether it opens with a greeting.
func placeholders(f int, hasPrevious, greets bool) recipientView {
	var rc recipientView
	if greets {
		rc.Greeting = marker(fieldGreeting)
	}
	for i, fd := range optional {
		if f&(1<<i) == 0 {
			continue
		}
		switch fd {
		case fieldName:
			rc.Name = marker(fieldName)
		case fieldEmail:
			rc.Email = marker(fieldEmail)
		case fieldURL:
			rc.UnsubscribeURL = marker(fieldURL)
		case fieldPreview:
			rc.PreviewURL = marker(fieldPreview)
		case fieldLocal:
			rc.LocalLift = marker(fieldLocal)
			if hasPrevious {
				rc.PreviousLocalLift = marker(fieldPrevious)
			}
		}
	}
	return rc
}

// values are one recipient's fields, ready for one kind of part.
type values struct {
	name, email, url, local, previous, preview string
	// greeting is the greeting line in pieces, written one after the
	// other (see greetings).
	greeting [3]string
	// pixel and links are the tracked addresses (see Tracking): the
	// pixel's, and each link target's click address by target index.
	pixel string
	links []string
}

// get returns field f; the greeting, in pieces, is read with write or size.
func (v *values) get(f field) string {
	switch f {
	case fieldName:
		return v.name
	case fieldEmail:
		return v.email
	case fieldURL:
		return v.url
	case fieldLocal:
		return v.local
	case fieldPrevious:
		return v.previous
	case fieldPreview:
		return v.preview
	case fieldPixel:
		return v.pixel
	}
	return ""
}

// size is the length of field f.
func (v *values) size(f field) int {
	if f == fieldGreeting {
		return len(v.greeting[0]) + len(v.greeting[1]) + len(v.greeting[2])
	}
	return len(v.get(f))
}

// write appends field f to b.
func (v *values) write(b *strings.Builder, f field) {
	if f == fieldGreeting {
		for _, s := range v.greeting {
			b.WriteString(s)
		}
		return
	}
	b.WriteString(v.get(f))
}

func knownField(f field) bool {
	switch f {
	case fieldName, fieldEmail, fieldURL, fieldLocal, fieldPrevious, fieldGreeting, fieldPreview:
		return true
	}
	return false
}

// layout is a rendered part cut at its markers: lits[i] comes before
// slots[i], and the last literal closes the part.
type layout struct {
	lits  []string
	slots []field
	size  int // bytes of literal text, to size the builder in one go
	// links, in a layout with links cut out (see track.go), names each
	// slot's link target, -1 for the other slots; nil otherwise.
	links []int32
}

// cut splits rendered output at its markers. intern makes equal literals
// share memory: the forms differ only around personal fields, so the body,
// by far the largest literal, is kept once instead of once per form.
func cut(s string, intern map[string]string) (layout, error) {
	var l layout
	for {
		i := strings.Index(s, markerPrefix)
		if i < 0 {
			break
		}
		end := i + len(markerPrefix)
		if end >= len(s) {
			return layout{}, fmt.Errorf("truncated marker at byte %d", i)
		}
		f := field(s[end])
		if !knownField(f) {
			return layout{}, fmt.Errorf("unknown marker field %q", s[end])
		}
		l.lits = append(l.lits, internString(s[:i], intern))
		l.slots = append(l.slots, f)
		s = s[end+1:]
	}
	l.lits = append(l.lits, internString(s, intern))
	for _, x := range l.lits {
		l.size += len(x)
	}
	return l, nil
}

func internString(s string, m map[string]string) string {
	if x, ok := m[s]; ok {
		return x
	}
	s = strings.Clone(s) // so the whole rendered form can be collected
	m[s] = s
	return s
}

// join writes the part for one recipient.
func (l *layout) join(v *values) string {
	n := l.size
	for _, f := range l.slots {
		n += v.size(f)
	}
	var b strings.Builder
	b.Grow(n)
	for i, f := range l.slots {
		b.WriteString(l.lits[i])
		v.write(&b, f)
	}
	b.WriteString(l.lits[len(l.lits)-1])
	return b.String()
}

// textValues cleans a recipient's fields for the plain-text part: one line
// each, no control characters.
func textValues(rc Recipient) values {
	return values{name: oneLine(rc.Name), email: oneLine(rc.Email), url: oneLine(rc.UnsubscribeURL), preview: oneLine(rc.PreviewURL)}
}

// htmlValues escapes the text values for HTML text and quoted attributes,
// which is where the templates place them (checkMarkers holds
// administrators' templates to that). An unsubscribe URL with a scheme
// other than http(s) or mailto is replaced the way html/template replaces
// unsafe URLs, so a bad value can never become a script link. The local
// times and the greeting are not the recipient's text: they come escaped
// from zoneTimes and greetings.
func htmlValues(v values) values {
	if v.url != "" && !safeURL(v.url) {
		v.url = "#ZgotmplZ"
	}
	if v.preview != "" && !httpURL(v.preview) {
		v.preview = "#ZgotmplZ"
	}
	return values{name: html.EscapeString(v.name), email: html.EscapeString(v.email), url: html.EscapeString(v.url),
		preview: html.EscapeString(v.preview)}
}

func safeURL(u string) bool {
	for _, scheme := range [...]string{"https://", "http://", "mailto:"} {
		if len(u) >= len(scheme) && strings.EqualFold(u[:len(scheme)], scheme) {
			return true
		}
	}
	return false
}

// oneLine turns control characters (CR, LF, tab, …) and Unicode line and
// paragraph separators into spaces, collapses runs of spaces and trims. A
// clean string is returned as is, without allocating, since Personalize
// calls this for every recipient.
func oneLine(s string) string {
	clean := true
	prevSpace := true // so a leading space counts as dirty
	for _, r := range s {
		sp := r == ' '
		if isBreak(r) || (sp && prevSpace) {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !strings.HasSuffix(s, " ") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || isBreak(r) }), " ")
}

func isBreak(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
