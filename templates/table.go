package templates

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// Tables in the plain-text part: columns padded to their display width
// (see width.go) and two spaces apart, a rule under the header row, each
// cell aligned as the Markdown says. A table too wide for the text width
// reads better as one block per row, "Header: value" a line, than as
// lines a client wraps into confusion.
//
// In right-to-left messages each line starts with a RIGHT-TO-LEFT MARK,
// so every row, even one that starts with a number or a Latin name, lays
// its columns out from the right like the others; and "right" and "left"
// alignment are swapped in the padding, so the text part looks like the
// HTML part, whose table runs right to left too.
const rlm = "\u200f"

// columnGap separates columns.
const columnGap = "  "

func (c textConv) table(t *east.Table, width int) []string {
	var rows [][]string
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var cells []string
		for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, strings.Join(strings.Fields(c.inline(cell)), " "))
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		return nil
	}
	cols := len(t.Alignments)
	widths := make([]int, cols)
	for _, row := range rows {
		for i := range min(cols, len(row)) {
			widths[i] = max(widths[i], displayWidth(row[i]))
		}
	}
	total := len(columnGap) * (cols - 1)
	for _, w := range widths {
		total += w
	}
	if total > width {
		return c.records(rows, width)
	}

	prefix := ""
	if c.l.Dir == "rtl" {
		prefix = rlm
	}
	line := func(cells []string, pad func(i int, s string) string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for i := range cols {
			if i > 0 {
				b.WriteString(columnGap)
			}
			s := ""
			if i < len(cells) {
				s = cells[i]
			}
			b.WriteString(pad(i, s))
		}
		return strings.TrimRight(b.String(), " ")
	}
	align := func(i int, s string) string {
		gap := widths[i] - displayWidth(s)
		a := t.Alignments[i]
		if c.l.Dir == "rtl" {
			switch a {
			case east.AlignLeft:
				a = east.AlignRight
			case east.AlignRight:
				a = east.AlignLeft
			}
		}
		switch a {
		case east.AlignRight:
			return strings.Repeat(" ", gap) + s
		case east.AlignCenter:
			return strings.Repeat(" ", gap/2) + s + strings.Repeat(" ", gap-gap/2)
		}
		return s + strings.Repeat(" ", gap)
	}
	out := []string{line(rows[0], align)}
	out = append(out, line(nil, func(i int, _ string) string { return strings.Repeat("-", widths[i]) }))
	for _, row := range rows[1:] {
		out = append(out, line(row, align))
	}
	return out
}

// records writes each body row as "header: value" lines, rows apart.
func (c textConv) records(rows [][]string, width int) []string {
	header := rows[0]
	var out []string
	for _, row := range rows[1:] {
		if len(out) > 0 {
			out = append(out, "")
		}
		for i, v := range row {
			if v == "" {
				continue
			}
			label := ""
			if i < len(header) && header[i] != "" {
				label = header[i] + c.l.Colon
			}
			out = append(out, wrapLines(label+v, width)...)
		}
	}
	return out
}

// tableStyles are the inline styles of table elements: borders collapsed,
// because cellspacing alone leaves double lines in some clients.
const (
	tableStyle     = "border-collapse:collapse;margin:0 0 16px 0;"
	cellStyle      = "border:1px solid #cccccc;padding:6px 10px;vertical-align:top;text-align:"
	headCellStyle  = "border:1px solid #cccccc;padding:6px 10px;vertical-align:top;background-color:#f2f2f2;font-weight:bold;text-align:"
	tablePadding   = "6"
	tableSpacing   = "0"
	cellAlignments = "left|center|right"
)

// styleTable sets a table's attributes and its cells' alignment, in the
// style and as the align attribute clients without CSS read.
func styleTable(t *east.Table, start string) {
	t.SetAttributeString("cellpadding", []byte(tablePadding))
	t.SetAttributeString("cellspacing", []byte(tableSpacing))
	t.SetAttributeString("style", []byte(tableStyle))
	_ = ast.Walk(t, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		cell, ok := n.(*east.TableCell)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		side := start
		switch cell.Alignment {
		case east.AlignLeft, east.AlignRight, east.AlignCenter:
			side = cell.Alignment.String()
		}
		style := cellStyle
		if _, head := cell.Parent().(*east.TableHeader); head {
			style = headCellStyle
		}
		cell.SetAttributeString("align", []byte(side))
		cell.SetAttributeString("style", []byte(style+side+";"))
		return ast.WalkSkipChildren, nil
	})
}

// tableStyleSet lists every style styleTable may write, for the sanitizer.
func tableStyleSet() []string {
	s := []string{tableStyle}
	for side := range strings.SplitSeq(cellAlignments, "|") {
		s = append(s, cellStyle+side+";", headCellStyle+side+";")
	}
	return s
}
