package templates

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// textWidth is where plain-text lines wrap: short enough to read in any
// client, and quoted-printable never has to break a line of ours.
const textWidth = 72

// plainText renders a Markdown document as plain text in the language of
// l: headings underlined, lists with their markers, quotes prefixed with
// "> ", links as "text <url>", images as their alt text, tables with
// aligned columns, raw HTML dropped.
func plainText(doc ast.Node, src []byte, width int, l *labels) string {
	c := textConv{src: src, l: l}
	return strings.Join(c.blocks(doc, width), "\n")
}

type textConv struct {
	src []byte
	l   *labels
}

// blocks renders the block children of n as lines, a blank line between
// blocks (none between the items of a tight list's item).
func (c textConv) blocks(n ast.Node, width int) []string {
	var out []string
	tight := false
	if li, ok := n.(*ast.ListItem); ok {
		if l, ok := li.Parent().(*ast.List); ok {
			tight = l.IsTight
		}
	}
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		lines := c.block(ch, width)
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 && !tight {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

func (c textConv) block(n ast.Node, width int) []string {
	switch n := n.(type) {
	case *endMark:
		mark := c.inline(n)
		return []string{strings.Repeat(" ", max(0, width-displayWidth(mark))/2) + mark}
	case *ast.Paragraph, *ast.TextBlock:
		return wrapLines(c.inline(n), width)
	case *east.Table:
		return c.table(n, width)
	case *ast.Heading:
		lines := wrapLines(c.inline(n), width)
		switch n.Level {
		case 1:
			return append(lines, rule(lines, "="))
		case 2:
			return append(lines, rule(lines, "-"))
		}
		return lines
	case *ast.List:
		return c.list(n, width)
	case *ast.Blockquote:
		lines := c.blocks(n, width-2)
		for i, l := range lines {
			lines[i] = strings.TrimRight("> "+l, " ")
		}
		return lines
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		// Code keeps its own line breaks; indenting sets it apart.
		var lines []string
		for i := range n.Lines().Len() {
			seg := n.Lines().At(i)
			lines = append(lines, "    "+strings.TrimRight(string(seg.Value(c.src)), "\r\n"))
		}
		return lines
	case *ast.ThematicBreak:
		return []string{strings.Repeat("-", min(width, 24))}
	case *ast.HTMLBlock:
		// Raw HTML never reaches readers, in either part.
		return nil
	default:
		return c.blocks(n, width)
	}
}

// list renders items with "- " or "N. " and indents continuation lines
// under the item's text.
func (c textConv) list(l *ast.List, width int) []string {
	var out []string
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		pad := strings.Repeat(" ", len(marker))
		lines := c.blocks(item, width-len(marker))
		if len(lines) == 0 {
			lines = []string{""}
		}
		if len(out) > 0 && !l.IsTight {
			out = append(out, "")
		}
		for i, line := range lines {
			switch {
			case i == 0:
				line = marker + line
			case line != "":
				line = pad + line
			}
			out = append(out, strings.TrimRight(line, " "))
		}
	}
	return out
}

// inline flattens n's inline children into one string; "\n" marks a hard
// line break.
func (c textConv) inline(n ast.Node) string {
	var b strings.Builder
	c.writeInline(&b, n)
	return b.String()
}

func (c textConv) writeInline(b *strings.Builder, n ast.Node) {
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		switch ch := ch.(type) {
		case *ast.Text:
			b.Write(unescape(ch.Segment.Value(c.src)))
			switch {
			case ch.HardLineBreak():
				b.WriteByte('\n')
			case ch.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			if ch.IsCode() || ch.IsRaw() {
				b.Write(ch.Value)
			} else {
				b.Write(unescape(ch.Value))
			}
		case *ast.CodeSpan:
			// Code spans are literal: no unescaping.
			for t := ch.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*ast.Text); ok {
					b.Write(t.Segment.Value(c.src))
				}
			}
		case *ast.Link:
			c.link(b, ch, string(ch.Destination))
		case *ast.Image:
			c.image(b, ch)
		case *isolateNode:
			b.WriteString(lri)
			c.writeInline(b, ch)
			b.WriteString(pdi)
		case *ast.AutoLink:
			// The label is already the address a reader would type.
			b.Write(ch.Label(c.src))
		case *ast.RawHTML:
			// dropped, as in the HTML part
		default:
			c.writeInline(b, ch)
		}
	}
}

// link writes "label <url>", or just "<url>" when the label adds nothing,
// or just the label when the URL is not an absolute http(s) or mailto one.
func (c textConv) link(b *strings.Builder, n ast.Node, dest string) {
	label := strings.TrimSpace(c.inline(n))
	// Only links the HTML part keeps are worth a reader's typing.
	if dest == "" || !safeURL(dest) {
		b.WriteString(label)
		return
	}
	if label != "" && label != dest && "mailto:"+label != dest {
		b.WriteString(label)
		b.WriteByte(' ')
	}
	c.url(b, dest)
}

// url writes "<url>", isolated in right-to-left text (see bidi.go).
func (c textConv) url(b *strings.Builder, dest string) {
	if c.l.Dir == "rtl" {
		b.WriteString(lri)
	}
	b.WriteByte('<')
	b.WriteString(dest)
	b.WriteByte('>')
	if c.l.Dir == "rtl" {
		b.WriteString(pdi)
	}
}

// image writes "[Image: alt] <url>", so a reader of the plain text knows
// what the HTML part shows and where to fetch it. An image without an
// http(s) URL is its alt text alone, as in the HTML part (see
// unwrapUnsafeImages).
func (c textConv) image(b *strings.Builder, n *ast.Image) {
	alt := strings.Join(strings.Fields(c.inline(n)), " ")
	dest := string(n.Destination)
	if !httpURL(dest) {
		b.WriteString(alt)
		return
	}
	if alt == "" {
		b.WriteString(c.l.ImageUntitled)
	} else {
		b.WriteString(c.l.Image.Before)
		b.WriteString(alt)
		b.WriteString(c.l.Image.After)
	}
	b.WriteByte(' ')
	c.url(b, dest)
}

// unescape resolves backslash escapes and character references the way the
// HTML renderer does, so "AT&amp;T" reads "AT&T".
func unescape(v []byte) []byte {
	return util.UnescapePunctuations(util.ResolveNumericReferences(util.ResolveEntityNames(v)))
}

// wrapLines word-wraps s at width columns (see width.go), keeping explicit
// "\n" breaks. It splits at ASCII spaces only: a no-break space must hold
// its words together, and so must an isolated run (a phone number in
// Arabic text, see bidi.go). Words longer than width (URLs) get a line of
// their own, unbroken.
func wrapLines(s string, width int) []string {
	var out []string
	for para := range strings.SplitSeq(s, "\n") {
		var line strings.Builder
		n := 0
		for w := range words(para) {
			wn := displayWidth(w)
			if n > 0 && n+1+wn > width {
				out = append(out, line.String())
				line.Reset()
				n = 0
			}
			if n > 0 {
				line.WriteByte(' ')
				n++
			}
			line.WriteString(w)
			n += wn
		}
		out = append(out, line.String())
	}
	return out
}

// words yields the words of a line, an isolated run being one word.
func words(para string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for para != "" {
			para = strings.TrimLeft(para, " ")
			if para == "" {
				return
			}
			end := strings.IndexByte(para, ' ')
			if end < 0 {
				end = len(para)
			}
			if open := strings.Index(para[:end], lri); open >= 0 && !strings.Contains(para[open:end], pdi) {
				if c := strings.Index(para[end:], pdi); c >= 0 {
					end += c + len(pdi)
					if sp := strings.IndexByte(para[end:], ' '); sp >= 0 {
						end += sp
					} else {
						end = len(para)
					}
				}
			}
			if !yield(para[:end]) {
				return
			}
			para = para[end:]
		}
	}
}

// wrap is wrapLines joined, for templates.
func wrap(s string) string { return strings.Join(wrapLines(s, textWidth), "\n") }

// rule returns a line of ch as wide as the widest of lines.
func rule(lines []string, ch string) string { return strings.Repeat(ch, ruleWidth(lines)) }
