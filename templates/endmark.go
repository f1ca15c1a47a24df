package templates

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
)

// A press release traditionally ends with a line of its own: "###" (or
// "# # #"), or "-30-", which tells an editor nothing follows. Markdown
// reads "###" as an empty heading, which renders as nothing; endMark
// keeps it as the text it is, centred like on paper.
//
// "-30-" is already a paragraph, and stays one.
type endMark struct{ ast.Paragraph }

// endMarkStyle centres the mark; it replaces a paragraph's style.
const endMarkStyle = "margin:24px 0 16px 0;text-align:center;"

// markEnds turns headings that are only hashes (three or more) into end
// marks holding the line as written.
func markEnds(doc ast.Node, src []byte) {
	var found []*ast.Heading
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && isEndMark(lineAt(src, h.Pos())) {
			found = append(found, h)
		}
	}
	for _, h := range found {
		m := &endMark{}
		m.AppendChild(m, ast.NewString(bytes.TrimSpace(lineAt(src, h.Pos()))))
		doc.ReplaceChild(doc, h, m)
	}
}

// lineAt returns the source line holding position pos.
func lineAt(src []byte, pos int) []byte {
	if pos < 0 || pos >= len(src) {
		return nil
	}
	start := bytes.LastIndexByte(src[:pos], '\n') + 1
	end := bytes.IndexByte(src[pos:], '\n')
	if end < 0 {
		return src[start:]
	}
	return src[start : pos+end]
}

// isEndMark reports whether line is three or more "#" and nothing but
// spaces.
func isEndMark(line []byte) bool {
	hashes := 0
	for _, c := range line {
		switch c {
		case '#':
			hashes++
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return hashes >= 3
}
