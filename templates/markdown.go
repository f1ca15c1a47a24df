package templates

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// markdown parses release bodies. It runs without html.WithUnsafe, so raw
// HTML is dropped at rendering already; the sanitizer below is the second,
// independent wall. Linkify turns bare "www.example.org" into links, which
// is how press officers tend to write them.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough))

// Mail clients drop <style> blocks and ignore most inherited CSS, so each
// element the body can contain gets its own inline style. They are keyed by
// direction because clients do not understand logical properties.
var bodyStyles = map[string]map[ast.NodeKind]string{
	"ltr": stylesFor("left"),
	"rtl": stylesFor("right"),
}

// headingStyles are indexed by level (1 to 6).
var headingStyles = [...]string{"",
	"margin:24px 0 12px 0;font-size:22px;line-height:28px;font-weight:bold;",
	"margin:24px 0 12px 0;font-size:19px;line-height:26px;font-weight:bold;",
	"margin:20px 0 8px 0;font-size:17px;line-height:24px;font-weight:bold;",
	"margin:16px 0 8px 0;font-size:16px;line-height:24px;font-weight:bold;",
	"margin:16px 0 8px 0;font-size:16px;line-height:24px;font-weight:bold;",
	"margin:16px 0 8px 0;font-size:16px;line-height:24px;font-weight:bold;",
}

func stylesFor(start string) map[ast.NodeKind]string {
	return map[ast.NodeKind]string{
		ast.KindParagraph:     "margin:0 0 16px 0;",
		ast.KindList:          "margin:0 0 16px 0;padding-" + start + ":24px;",
		ast.KindListItem:      "margin:0 0 6px 0;",
		ast.KindBlockquote:    "margin:0 0 16px 0;padding-" + start + ":14px;border-" + start + ":3px solid #c8c8c8;color:#555555;",
		ast.KindLink:          "color:#0b5cad;text-decoration:underline;",
		ast.KindAutoLink:      "color:#0b5cad;text-decoration:underline;",
		ast.KindThematicBreak: "border:0;border-top:1px solid #dddddd;margin:24px 0;",
		ast.KindImage:         "max-width:100%;height:auto;border:0;",
	}
}

// bodyPolicy is UGCPolicy plus exactly the style attributes set above: a
// style that did not come from this file cannot survive sanitizing.
var bodyPolicy = func() *bluemonday.Policy {
	var known []string
	for _, m := range bodyStyles {
		for _, s := range m {
			known = append(known, regexp.QuoteMeta(s))
		}
	}
	for _, s := range headingStyles[1:] {
		known = append(known, regexp.QuoteMeta(s))
	}
	p := bluemonday.UGCPolicy()
	// A relative link or image has nothing to be relative to in a mail
	// client: it would point at the reader's own mailbox or nowhere.
	p.AllowRelativeURLs(false)
	p.AllowAttrs("style").
		Matching(regexp.MustCompile(`^(?:`+strings.Join(known, "|")+`)$`)).
		OnElements("p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "a", "hr", "img")
	return p
}()

// body is a release body rendered both ways from a single parse.
type body struct {
	html string // sanitized
	text string // wrapped plain text
}

// renderBody turns Markdown into sanitized, inline-styled HTML and readable
// plain text.
func renderBody(src []byte, dir string) (body, error) {
	src = stripControls(src)
	doc := markdown.Parser().Parse(text.NewReader(src))

	var b body
	b.text = plainText(doc, src, textWidth)

	addStyles(doc, bodyStyles[dir])
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return body{}, fmt.Errorf("render markdown: %w", err)
	}
	b.html = strings.TrimSpace(bodyPolicy.Sanitize(buf.String()))
	return b, nil
}

// addStyles sets the inline style of every element that has one.
func addStyles(doc ast.Node, styles map[ast.NodeKind]string) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if h, ok := n.(*ast.Heading); ok {
			n.SetAttributeString("style", []byte(headingStyles[h.Level]))
		} else if s, ok := styles[n.Kind()]; ok {
			n.SetAttributeString("style", []byte(s))
		}
		return ast.WalkContinue, nil
	})
}

// stripControls drops control characters but tab and line breaks: they
// are invalid in HTML, and in plain text a terminal-based mail reader
// would act on escape sequences. A clean body is returned as is.
func stripControls(src []byte) []byte {
	bad := func(r rune) bool {
		return r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || (r >= 0x7f && r < 0xa0))
	}
	if bytes.IndexFunc(src, bad) < 0 {
		return src
	}
	return bytes.Map(func(r rune) rune {
		if bad(r) {
			return -1
		}
		return r
	}, src)
}
