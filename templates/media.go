package templates

import (
	"html"
	htmltemplate "html/template"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// MediaLink is a photo or document of a release as a message lists it:
// a link, never an attachment, since a message goes to thousands of
// readers and a photo can weigh megabytes.
type MediaLink struct {
	// Title is what the link says: the caption in the message's
	// language, or the file's name.
	Title string
	// URL is the file's public address; it works from the lift on.
	URL string
	// About names the format and size, "JPEG, 2.1 MB".
	About string
}

// addMedia lists a release's media after its body, in the messages that
// link to its page (the public release and the correction): their files
// are public when the page is. The embargoed notice does not list them,
// as their addresses answer nothing before the lift; its private preview
// shows them. Without media the body is left exactly as it was.
func addMedia(v *view, l *labels, variant string, links []MediaLink) {
	if len(links) == 0 || (variant != VariantPublic && variant != VariantCorrection) {
		return
	}
	heading := l.Media
	var text, h strings.Builder
	text.WriteString(v.BodyText)
	if v.BodyText != "" {
		text.WriteString("\n")
	}
	text.WriteString("\n" + heading)
	h.WriteString(string(v.BodyHTML))
	h.WriteString(`<h2 style="` + headingStyles[3] + `">` + html.EscapeString(heading) + `</h2>`)
	h.WriteString(`<ul style="` + bodyStyles[l.Dir][ast.KindList] + `">`)
	for _, m := range links {
		title, link := oneLine(m.Title), oneLine(m.URL)
		if title == "" || !strings.HasPrefix(link, "http") {
			continue
		}
		line := "- " + title
		if m.About != "" {
			line += " (" + oneLine(m.About) + ")"
		}
		text.WriteString("\n" + wrap(line) + "\n  " + l.Isolate.Before + "<" + link + ">" + l.Isolate.After)
		h.WriteString(`<li style="` + bodyStyles[l.Dir][ast.KindListItem] + `"><a href="` + html.EscapeString(link) + `" style="` +
			bodyStyles[l.Dir][ast.KindLink] + `">` + html.EscapeString(title) + `</a>`)
		if m.About != "" {
			h.WriteString(` (` + html.EscapeString(oneLine(m.About)) + `)`)
		}
		h.WriteString(`</li>`)
	}
	h.WriteString(`</ul>`)
	v.BodyText = text.String()
	v.BodyHTML = htmltemplate.HTML(h.String()) // every piece escaped above
}
