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
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown parses release bodies. It runs without html.WithUnsafe, so raw
// HTML is dropped at rendering already; the sanitizer below is the second,
// independent wall. Linkify turns bare "www.example.org" into links, which
// is how press officers tend to write them. Tables take their alignment
// from addStyles, as attributes and inline styles both.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Linkify, extension.Strikethrough,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignNone))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(isolateRenderer{}, 500))),
)

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

// bodyPolicy allows exactly what the Markdown renderer writes: its
// elements, the attributes they need, and the style attributes set in this
// file, no other (no class, no id, no style that did not come from here).
// Links and images must be absolute http(s) links (links may be mailto:
// too): a relative one has nothing to be relative to in a mail client.
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
	for _, s := range append(tableStyleSet(), endMarkStyle) {
		known = append(known, regexp.QuoteMeta(s))
	}
	exactly := func(s string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + s + `)$`) }

	p := bluemonday.NewPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.AllowElements("p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
		"blockquote", "ul", "ol", "li", "hr", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "bdi")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src").OnElements("img")
	p.AllowAttrs("alt", "title").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).OnElements("a")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("dir").Matching(exactly("ltr")).OnElements("bdi")
	p.AllowAttrs("cellpadding").Matching(exactly(tablePadding)).OnElements("table")
	p.AllowAttrs("cellspacing").Matching(exactly(tableSpacing)).OnElements("table")
	p.AllowAttrs("align").Matching(exactly(cellAlignments)).OnElements("th", "td")
	p.AllowAttrs("style").Matching(exactly(strings.Join(known, "|"))).
		OnElements("p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "a", "hr", "img",
			"table", "th", "td")
	return p
}()

// body is a release body rendered both ways from a single parse.
type body struct {
	html string // sanitized
	text string // wrapped plain text
}

// renderBody turns Markdown into sanitized, inline-styled HTML and readable
// plain text, in the language of l (its direction and its words).
func renderBody(src []byte, l *labels) (body, error) {
	src = stripControls(src)
	doc := markdown.Parser().Parse(text.NewReader(src))
	markEnds(doc, src)
	unwrapUnsafeImages(doc)
	if l.Dir == "rtl" {
		isolateRuns(doc, src)
	}

	var b body
	b.text = plainText(doc, src, textWidth, l)

	addStyles(doc, l)
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return body{}, fmt.Errorf("render markdown: %w", err)
	}
	b.html = strings.TrimSpace(bodyPolicy.Sanitize(buf.String()))
	return b, nil
}

// unwrapUnsafeImages replaces each image whose source is not an absolute
// http(s) URL, which the sanitizer would leave without one, by its alt
// text: the reader then reads what the image stood for, in both parts.
func unwrapUnsafeImages(doc ast.Node) {
	var unsafe []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering && !httpURL(string(img.Destination)) {
			unsafe = append(unsafe, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range unsafe {
		parent := img.Parent()
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, img, c)
			c = next
		}
		parent.RemoveChild(parent, img)
	}
}

// addStyles sets the inline style of every element that has one.
func addStyles(doc ast.Node, l *labels) {
	styles := bodyStyles[l.Dir]
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.SetAttributeString("style", []byte(headingStyles[n.Level]))
		case *endMark:
			n.SetAttributeString("style", []byte(endMarkStyle))
		case *east.Table:
			styleTable(n, l.Start)
		default:
			if s, ok := styles[n.Kind()]; ok {
				n.SetAttributeString("style", []byte(s))
			}
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
