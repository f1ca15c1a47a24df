package templates

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// In right-to-left text, a phone number, an e-mail address or a link is a
// left-to-right run whose neutral characters ("+", "(", "-", "@", ".") the
// Unicode bidirectional algorithm attaches to the Arabic around it: "+222
// 45 00 00 00" reads "00 00 00 45 222+". Each is isolated, so it keeps its
// own order and leaves the sentence's alone: in the HTML part with <bdi
// dir="ltr">, as the layout isolates the press contacts; in the plain-text
// part with the equivalent characters, LEFT-TO-RIGHT ISOLATE (U+2066) and
// POP DIRECTIONAL ISOLATE (U+2069), which mail clients render invisibly.
// Isolates rather than the older LRM marks: a mark only helps the
// characters next to it, an isolate the whole run.
const (
	lri = "\u2066"
	pdi = "\u2069"
)

// kindIsolate is a left-to-right isolate in the Markdown tree.
var kindIsolate = ast.NewNodeKind("Isolate")

type isolateNode struct{ ast.BaseInline }

func (n *isolateNode) Kind() ast.NodeKind            { return kindIsolate }
func (n *isolateNode) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }
func (isolateRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindIsolate, renderIsolate)
}

type isolateRenderer struct{}

func renderIsolate(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(`<bdi dir="ltr">`)
	} else {
		_, _ = w.WriteString("</bdi>")
	}
	return ast.WalkContinue, nil
}

// phoneRE matches what reads as a phone number: digits with the spaces,
// dots, dashes and parentheses people group them with, and an optional
// international "+". Numbers of fewer than seven digits are left alone;
// isolating a date or a large number by mistake is harmless, since digits
// run left to right anyway.
var phoneRE = regexp.MustCompile(`\+?\(?\d[\d.\-() \x{a0}]*\d\)?`)

// isolateRuns isolates the links, e-mail addresses and phone numbers of a
// right-to-left document.
func isolateRuns(doc ast.Node, src []byte) {
	var blocks []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && n.Type() == ast.TypeBlock && n.FirstChild() != nil && n.FirstChild().Type() == ast.TypeInline {
			blocks = append(blocks, n)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	for _, b := range blocks {
		isolateInlines(b, src)
	}
}

// isolateInlines isolates within the inline children of parent, and in
// emphasis inside them. A link's own label is the author's to word, and
// its target is not shown.
func isolateInlines(parent ast.Node, src []byte) {
	var run []*ast.Text
	flush := func() {
		isolatePhones(run, src)
		run = run[:0]
	}
	for n := parent.FirstChild(); n != nil; {
		next := n.NextSibling()
		switch c := n.(type) {
		case *ast.Text:
			if c.IsRaw() || c.Segment.Padding != 0 {
				flush()
			} else {
				run = append(run, c)
			}
		case *ast.AutoLink:
			flush()
			wrapIsolate(parent, c, c)
		case *ast.Emphasis:
			flush()
			isolateInlines(c, src)
		default:
			flush()
		}
		n = next
	}
	flush()
}

// isolatePhones isolates the phone numbers of a run of adjacent text
// nodes: the parser splits text where other syntax could start, so a
// number can span several nodes. Nodes are split where a number starts or
// ends inside one.
func isolatePhones(run []*ast.Text, src []byte) {
	if len(run) == 0 {
		return
	}
	var all strings.Builder
	pieces := make([]piece, len(run))
	for i, t := range run {
		pieces[i] = piece{t, all.Len()}
		all.Write(t.Segment.Value(src))
		if t.SoftLineBreak() || t.HardLineBreak() {
			all.WriteByte('\n') // a number does not continue on the next line
		}
	}
	s := all.String()
	matches := phoneRE.FindAllStringIndex(s, -1)
	// From the last, so that splitting does not move earlier offsets.
	for i := len(matches) - 1; i >= 0; i-- {
		from, to := matches[i][0], matches[i][1]
		if m := s[from:to]; strings.Count(m, "(") != strings.Count(m, ")") {
			// An unbalanced parenthesis belongs to the sentence.
			if strings.HasPrefix(m, "(") {
				from++
			}
			to = from + strings.LastIndexAny(s[from:to], "0123456789") + 1
		}
		if digits(s[from:to]) < 7 {
			continue
		}
		first := splitAt(&pieces, from)
		last := splitAt(&pieces, to)
		if first < last {
			t := pieces[first].t
			wrapIsolate(t.Parent(), t, pieces[last-1].t)
		}
	}
}

// piece is a text node of a run and where its text starts in the run's.
type piece struct {
	t     *ast.Text
	start int
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// splitAt makes offset (in the run's joined text) a node boundary and
// returns the index of the piece that starts there (len(*pieces) past the
// end).
func splitAt(pieces *[]piece, offset int) int {
	ps := *pieces
	for i, p := range ps {
		switch {
		case offset <= p.start:
			return i
		case offset < p.start+p.t.Segment.Len():
			seg := p.t.Segment
			cut := seg.Start + offset - p.start
			right := ast.NewTextSegment(seg.WithStart(cut))
			right.SetSoftLineBreak(p.t.SoftLineBreak())
			right.SetHardLineBreak(p.t.HardLineBreak())
			p.t.Segment = seg.WithStop(cut)
			p.t.SetSoftLineBreak(false)
			p.t.SetHardLineBreak(false)
			p.t.Parent().InsertAfter(p.t.Parent(), p.t, right)
			*pieces = append(ps[:i+1], append([]piece{{right, offset}}, ps[i+1:]...)...)
			return i + 1
		}
	}
	return len(ps)
}

// wrapIsolate moves the siblings from first to last into a new isolate
// node at their place.
func wrapIsolate(parent, first, last ast.Node) {
	iso := &isolateNode{}
	parent.InsertBefore(parent, first, iso)
	for n := first; ; {
		next := n.NextSibling()
		iso.AppendChild(iso, n) // AppendChild detaches n from parent first
		if n == last || next == nil {
			break
		}
		n = next
	}
}
