package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/communique/communique"
)

// Messages of a release, one per variant of its delivery.
const (
	// VariantPublic is the release as the public receives it.
	VariantPublic = "public"
	// VariantEmbargoed is the notice the embargo audience receives before
	// the lift: the release, marked with the lift time.
	VariantEmbargoed = "embargoed"
	// VariantCorrection re-sends the corrected release, marked as corrected.
	VariantCorrection = "correction"
	// VariantRecall asks those who received a release to disregard it; it
	// does not repeat the release's text.
	VariantRecall = "recall"
	// VariantEmbargoChanged tells the embargo audience the new lift time.
	VariantEmbargoChanged = "embargo_changed"
)

// MessageConfirmation is the subscription confirmation's name where
// templates are named by message (overrides, the API).
const MessageConfirmation = "confirmation"

// variantNames lists the release messages with templates under mail/. A
// message is three files: NAME.subject.tmpl, NAME.txt.tmpl and
// NAME.html.tmpl; the last two usually invoke "layout" and override its
// blocks ("banner" above the title, "content" for the release itself).
var variantNames = []string{VariantPublic, VariantEmbargoed, VariantCorrection, VariantRecall, VariantEmbargoChanged}

// Messages lists every message whose templates an administrator may
// override, in a stable order.
func Messages() []string { return append(append([]string(nil), variantNames...), MessageConfirmation) }

// isMessage reports whether name is one of Messages.
func isMessage(name string) bool {
	return name == MessageConfirmation || isVariant(name)
}

func isVariant(name string) bool {
	for _, v := range variantNames {
		if v == name {
			return true
		}
	}
	return false
}

//go:embed mail
var mailFS embed.FS

// messageTemplates are one message's parsed templates: the subject runs as
// itself, the parts by their entry template's name.
type messageTemplates struct {
	message, lang        string // lang is set for overrides only
	subject              *texttemplate.Template
	text                 *texttemplate.Template
	html                 *htmltemplate.Template
	textEntry, htmlEntry string
	// override marks an administrator's templates, whose HTML output is
	// checked for where it puts personal fields.
	override bool
}

// builtins parses every message once, on first use; templates are
// embedded, so an error here is a bug in this package, reported by Prepare
// (and by any test) rather than by a panic at import.
var builtins = sync.OnceValues(func() (map[string]*messageTemplates, error) {
	m := make(map[string]*messageTemplates)
	for _, name := range Messages() {
		src, err := BuiltinSource(name)
		if err != nil {
			return nil, err
		}
		mt, err := compile(name, src)
		if err != nil {
			return nil, fmt.Errorf("templates: built-in %s: %w", name, err)
		}
		mt.override = false
		m[name] = mt
	}
	return m, nil
})

// builtinTemplates returns a release message's built-in templates.
func builtinTemplates(variant string) (*messageTemplates, error) {
	all, err := builtins()
	if err != nil {
		return nil, err
	}
	if !isVariant(variant) {
		return nil, communique.Errorf(communique.EINVALID, "unknown message variant %q (want one of %s)", variant, strings.Join(variantNames, ", "))
	}
	return all[variant], nil
}

// Source is a message's templates as text: the subject and the plain-text
// part in text/template syntax, the HTML part in html/template syntax.
type Source struct {
	Subject string `json:"subject" db:"subject"`
	Text    string `json:"text" db:"text_part"`
	HTML    string `json:"html" db:"html_part"`
}

// Layout is the shared layout release messages invoke with
// {{template "layout" .}}, and whose blocks they may redefine.
type Layout struct {
	Text string `json:"text"`
	HTML string `json:"html"`
}

// BuiltinSource returns the built-in templates of message.
func BuiltinSource(message string) (Source, error) {
	if !isMessage(message) {
		return Source{}, communique.Errorf(communique.ENOTFOUND, "no message %q (want one of %s)", message, strings.Join(Messages(), ", "))
	}
	var src Source
	for _, f := range []struct {
		ext string
		dst *string
	}{{"subject", &src.Subject}, {"txt", &src.Text}, {"html", &src.HTML}} {
		b, err := fs.ReadFile(mailFS, "mail/"+message+"."+f.ext+".tmpl")
		if err != nil {
			return Source{}, fmt.Errorf("templates: built-in %s: %w", message, err)
		}
		*f.dst = string(b)
	}
	return src, nil
}

// BuiltinLayout returns the layout of release messages; the confirmation
// does not use it.
func BuiltinLayout() Layout {
	t, errT := fs.ReadFile(mailFS, "mail/layout.txt.tmpl")
	h, errH := fs.ReadFile(mailFS, "mail/layout.html.tmpl")
	if err := errors.Join(errT, errH); err != nil {
		panic("templates: embedded layout missing: " + err.Error()) // a build without mail/ is broken
	}
	return Layout{Text: string(t), HTML: string(h)}
}

// textFuncs and htmlFuncs are all the functions templates may call,
// besides text/template's comparisons, and, or, not, len and index (see
// allowedBuiltins). "call" is replaced so a template cannot invoke a
// function value it might find in its data.
var textFuncs = texttemplate.FuncMap{
	// wrap joins its arguments and word-wraps them, so a label and a value
	// wrap as one sentence.
	"wrap": func(parts ...string) string { return wrap(strings.Join(parts, "")) },
	// underline is a rule as wide as s once wrapped.
	"underline": func(s, ch string) string { return rule(wrapLines(s, textWidth), ch) },
	"commaJoin": commaJoin,
	"joinWith":  joinWith,
	"call":      refuseCall,
}

var htmlFuncs = htmltemplate.FuncMap{
	"commaJoin": commaJoin,
	"joinWith":  joinWith,
	"call":      refuseCall,
}

func refuseCall(...any) (string, error) { return "", errors.New("call is not available") }

// commaJoin joins the non-empty parts with ", ".
func commaJoin(parts ...string) string { return joinWith(", ", parts...) }

// joinWith joins the non-empty parts with sep (a contact's title and
// organisation, either of which may be missing, with the language's
// separator: Arabic has its own comma).
func joinWith(sep string, parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, sep)
}
