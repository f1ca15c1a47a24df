package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"sort"
	"strings"
	texttemplate "text/template"

	"golang.org/x/text/language"

	"github.com/communique/communique"
)

// Overrides are administrators' templates, parsed and checked, by message
// and language; the zero value has none. Load them with LoadOverrides and
// render with PrepareWith and ConfirmationWith. Safe for concurrent use.
type Overrides struct {
	sets     map[overrideKey]*messageTemplates
	problems []string
	key      string
	lim      *limits // overrideLimits when nil
	brand    *Brand  // see WithBrand
}

type overrideKey struct{ message, lang string }

// Key identifies the overrides' content: equal keys mean identical
// templates, so a cache of prepared messages can include it in its key.
func (ov Overrides) Key() string { return ov.key }

// Problems lists stored overrides that no longer compile (after an upgrade
// changed what templates may use); the built-in templates serve in their
// place.
func (ov Overrides) Problems() []string { return ov.problems }

// limits returns the limits overrides render under.
func (ov Overrides) limits() limits {
	if ov.lim != nil {
		return *ov.lim
	}
	return overrideLimits
}

// lookup returns the override for message in lang, or in lang's base
// language ("fr" serves "fr-CA"), or nil.
func (ov Overrides) lookup(message, lang string) *messageTemplates {
	if len(ov.sets) == 0 {
		return nil
	}
	if mt := ov.sets[overrideKey{message, lang}]; mt != nil {
		return mt
	}
	tag, err := language.Parse(lang)
	if err != nil {
		return nil
	}
	base, _ := tag.Base()
	return ov.sets[overrideKey{message, base.String()}]
}

// storedOverride is one row of template_overrides.
type storedOverride struct {
	Message  string `db:"message"`
	Language string `db:"language"`
	Source
}

// newOverrides compiles stored rows; one that fails is reported in
// Problems and left out.
func newOverrides(rows []storedOverride) Overrides {
	ov := Overrides{sets: make(map[overrideKey]*messageTemplates, len(rows))}
	h := sha256.New()
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return a.Message < b.Message || (a.Message == b.Message && a.Language < b.Language)
	})
	for _, r := range rows {
		fmt.Fprintf(h, "%q %q %q %q %q\n", r.Message, r.Language, r.Subject, r.Text, r.HTML)
		mt, err := compile(r.Message, r.Source)
		if err != nil {
			ov.problems = append(ov.problems, fmt.Sprintf("%s/%s: %v", r.Message, r.Language, err))
			continue
		}
		mt.lang = r.Language
		ov.sets[overrideKey{r.Message, r.Language}] = mt
	}
	ov.key = hex.EncodeToString(h.Sum(nil)[:12])
	return ov
}

// maxSource bounds each part of an override.
const maxSource = 256 << 10

// compile parses src as message's templates, release messages with the
// built-in layout available, and checks that they use nothing but fields,
// the allowed functions and non-recursive template calls, within the
// static limits of override_cost.go; then it instruments them for the
// render budget (budget.go). A problem is an EINVALID error with one
// detail per problem, naming the part and line.
func compile(message string, src Source) (*messageTemplates, error) {
	var details []string
	for _, p := range []struct{ name, s string }{{"subject", src.Subject}, {"text", src.Text}, {"html", src.HTML}} {
		switch {
		case strings.TrimSpace(p.s) == "":
			details = append(details, p.name+": required")
		case len(p.s) > maxSource:
			details = append(details, fmt.Sprintf("%s: longer than %d bytes", p.name, maxSource))
		}
	}
	if len(details) > 0 {
		return nil, communique.Invalid("invalid template", details)
	}

	mt := &messageTemplates{message: message, textEntry: "text", htmlEntry: "html", override: true}
	var err error
	mt.subject, err = texttemplate.New("subject").Funcs(textFuncs).Funcs(stepFuncs).Parse(src.Subject)
	if err != nil {
		details = append(details, describeTemplateError(err))
	} else {
		details = append(details, checkTextTemplates("subject", mt.subject)...)
	}

	layout := Layout{}
	if isVariant(message) {
		layout = BuiltinLayout()
	}
	mt.text = texttemplate.New("text").Funcs(textFuncs).Funcs(stepFuncs)
	if layout.Text != "" {
		if _, err := mt.text.New("layout.txt.tmpl").Parse(layout.Text); err != nil {
			return nil, fmt.Errorf("templates: built-in text layout: %w", err)
		}
	}
	if _, err := mt.text.Parse(src.Text); err != nil {
		details = append(details, describeTemplateError(err))
	} else {
		details = append(details, checkTextTemplates("text", mt.text)...)
	}

	mt.html = htmltemplate.New("html").Funcs(htmlFuncs).Funcs(htmltemplate.FuncMap(stepFuncs))
	if layout.HTML != "" {
		if _, err := mt.html.New("layout.html.tmpl").Parse(layout.HTML); err != nil {
			return nil, fmt.Errorf("templates: built-in HTML layout: %w", err)
		}
	}
	if _, err := mt.html.Parse(src.HTML); err != nil {
		details = append(details, describeTemplateError(err))
	} else {
		details = append(details, checkHTMLTemplates("html", mt.html)...)
	}
	if len(details) > 0 {
		return nil, communique.Invalid("invalid template", details)
	}
	for _, x := range mt.subject.Templates() {
		instrument(x.Tree)
	}
	for _, x := range mt.text.Templates() {
		instrument(x.Tree)
	}
	for _, x := range mt.html.Templates() {
		instrument(x.Tree)
	}
	return mt, nil
}

// stepFuncs make the parsed templates executable as they are (the built-in
// ones run so); an administrator's run on clones where stepFunc counts.
var stepFuncs = texttemplate.FuncMap{stepFunc: noStep}

// templateErrorRE matches text/template and html/template error locations:
// "template: html:12:5: …" or "html/template:html:12:5: …".
var templateErrorRE = regexp.MustCompile(`(?:html/)?template: ?([\w.]+):(\d+):(?:\d+:)? ?(.*)$`)

// typeNameRE matches Go type names in execution errors, which mean nothing
// to an administrator.
var typeNameRE = regexp.MustCompile(`\s*in type \*?[\w.]+`)

// describeTemplateError turns a template error into "part: line N: reason".
func describeTemplateError(err error) string {
	var be *budgetError
	if errors.As(err, &be) {
		return be.Error()
	}
	msg := err.Error()
	m := templateErrorRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	part := m[1]
	switch part {
	case "layout.txt.tmpl":
		part = "text (in the built-in layout)"
	case "layout.html.tmpl":
		part = "html (in the built-in layout)"
	}
	reason := typeNameRE.ReplaceAllString(m[3], "")
	return fmt.Sprintf("%s: line %s: %s", part, m[2], reason)
}
