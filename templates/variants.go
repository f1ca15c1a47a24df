package templates

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
)

// VariantPublic is the release as the public receives it.
const VariantPublic = "public"

// variantNames lists the variants with templates under mail/. A variant is
// three files: NAME.subject.tmpl, NAME.txt.tmpl and NAME.html.tmpl; the
// last two usually invoke "layout" and override its blocks (a banner, a
// marker before the title).
var variantNames = []string{VariantPublic}

//go:embed mail
var mailFS embed.FS

// variantTemplates are one variant's parsed templates, each executed by its
// file name.
type variantTemplates struct {
	name    string
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// variants parses every variant once, on first use; templates are embedded,
// so an error here is a bug in this package, reported by Prepare (and by
// any test) rather than by a panic at import.
var variants = sync.OnceValues(func() (map[string]*variantTemplates, error) {
	m := make(map[string]*variantTemplates, len(variantNames))
	for _, name := range variantNames {
		vt, err := parseVariant(name)
		if err != nil {
			return nil, fmt.Errorf("templates: variant %s: %w", name, err)
		}
		m[name] = vt
	}
	return m, nil
})

func parseVariant(name string) (*variantTemplates, error) {
	vt := &variantTemplates{name: name}
	var err error
	vt.subject, err = texttemplate.ParseFS(mailFS, "mail/"+name+".subject.tmpl")
	if err != nil {
		return nil, err
	}
	vt.text, err = texttemplate.New("").Funcs(textFuncs).ParseFS(mailFS, "mail/layout.txt.tmpl", "mail/"+name+".txt.tmpl")
	if err != nil {
		return nil, err
	}
	vt.html, err = htmltemplate.New("").Funcs(htmlFuncs).ParseFS(mailFS, "mail/layout.html.tmpl", "mail/"+name+".html.tmpl")
	if err != nil {
		return nil, err
	}
	return vt, nil
}

var textFuncs = texttemplate.FuncMap{
	"wrap": wrap,
	// underline is a rule as wide as s once wrapped.
	"underline": func(s, ch string) string { return rule(wrapLines(s, textWidth), ch) },
	"commaJoin": commaJoin,
}

var htmlFuncs = htmltemplate.FuncMap{
	"commaJoin": commaJoin,
}

// commaJoin joins the non-empty parts with ", " (a contact's title and
// organisation, either of which may be missing).
func commaJoin(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, ", ")
}
