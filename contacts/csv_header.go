package contacts

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/communique/communique"
)

// readHeader skips a byte order mark, chooses the separator from the
// header line and maps the columns it names.
func (r *Reader) readHeader() error {
	if b, err := r.src.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		r.src.Discard(3)
	}
	if sniffSemicolon(r.src) {
		r.csv.Comma = ';'
	}
	r.guard.next()
	fields, err := r.csv.Read()
	var perr *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return r.refuseHeader("the file is empty", 1, "the header naming the columns ("+strings.Join(Columns, ",")+") is missing")
	case errors.As(err, &perr):
		return r.refuseHeader("the header is not valid CSV", perr.StartLine, describeParseError(perr))
	case errors.Is(err, errRowTooLong):
		return r.refuseHeader("the header is not valid CSV", 1, fmt.Sprintf("the header is longer than %d KiB", MaxRowBytes>>10))
	case err != nil:
		return err
	}
	line, _ := r.csv.FieldPos(0)
	r.lastLine = line
	r.col = make(map[string]int, len(ExportColumns))
	for _, name := range ExportColumns {
		r.col[name] = -1
	}
	r.names = make([]string, len(fields))
	for i, f := range fields {
		r.names[i] = strings.ToLower(strings.TrimSpace(f))
		if strings.Contains(f, "@") {
			// A file without a header: say so rather than list every cell.
			return r.refuseHeader("the header does not name the contact columns", line,
				fmt.Sprintf("the first line must name the columns (%s); its column %d holds %s, an address",
					strings.Join(Columns, ","), i+1, quote(f)))
		}
	}
	var p []string
	for i, name := range r.names {
		j, known := r.col[name]
		switch {
		case checkBytes("header", fields[i]) != "":
			p = append(p, fmt.Sprintf("column %d: %s", i+1, checkBytes("header", fields[i])))
		case name == "":
			p = append(p, fmt.Sprintf("column %d has no name", i+1))
		case !known:
			p = append(p, fmt.Sprintf("column %d %s is unknown (known: %s)", i+1, quote(fields[i]), strings.Join(ExportColumns, ", ")))
		case j >= 0:
			p = append(p, fmt.Sprintf("column %d %s repeats column %d", i+1, quote(fields[i]), j+1))
		default:
			r.col[name] = i
		}
	}
	if len(p) > maxListProblems {
		p = append(p[:maxListProblems], fmt.Sprintf("and %d more problems", len(p)-maxListProblems))
	}
	if r.col["email"] < 0 {
		p = append(p, "the header has no email column, the one column required")
	}
	if len(p) > 0 {
		return r.refuseHeader("the header does not name the contact columns", line, strings.Join(p, "; "))
	}
	return nil
}

// sniffSemicolon reports whether the first line of src, which it peeks
// at without consuming, separates cells with ";" rather than ",": the
// separator a spreadsheet uses where "," is the decimal mark.
func sniffSemicolon(src interface{ Peek(int) ([]byte, error) }) bool {
	b, _ := src.Peek(64 << 10) // short at the end of the input; whatever came is enough
	var commas, semicolons int
	quoted := false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			return semicolons > commas
		case c == ',':
			commas++
		case c == ';':
			semicolons++
		}
	}
	return semicolons > commas
}

func (r *Reader) refuseHeader(msg string, line int, reason string) error {
	r.headerProblem = &RowError{Line: line, Reason: reason}
	return &communique.Error{Code: communique.EINVALID, Message: msg, Details: []string{r.headerProblem.String()}}
}
