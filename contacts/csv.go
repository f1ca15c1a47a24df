package contacts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// Columns are the CSV columns of contacts, in file order (SPEC section 5).
// Lists inside a cell are separated by ";".
var Columns = []string{"email", "name", "kind", "organisation", "country", "languages",
	"timezone", "verified", "regions", "countries", "topics", "phone", "title"}

const listSep = ";"

// Record is one data row of a contacts CSV file.
type Record struct {
	// Line is the line the row starts on, the header being line 1.
	Line    int
	Contact Contact
	// Problems says why the row cannot be imported; empty when it can.
	Problems []string
}

// Reader reads contacts from CSV one row at a time, so a file of any size
// is read in constant memory. The first line must name Columns; a UTF-8
// byte order mark, CRLF line ends and quoted cells (holding commas, quotes
// or line breaks) are accepted.
type Reader struct {
	src       *bufio.Reader
	csv       *csv.Reader
	norm      *normalizer
	header    bool
	headerErr error
	// headerProblem is why the header was refused, for Import's report.
	headerProblem *RowError
}

// NewReader returns a Reader of r that checks regions and topics against
// known (a nil known rejects every region and topic).
func NewReader(r io.Reader, known *taxonomy.Checker) *Reader {
	src := bufio.NewReaderSize(r, 64<<10)
	c := csv.NewReader(src)
	c.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	c.ReuseRecord = true
	return &Reader{src: src, csv: c, norm: newNormalizer(known)}
}

// Read returns the next row with its problems. The error is io.EOF after
// the last row, an EINVALID *communique.Error when the header is missing
// or wrong, or the error reading the input.
func (r *Reader) Read() (*Record, error) {
	if r.headerErr != nil {
		return nil, r.headerErr
	}
	if !r.header {
		if err := r.readHeader(); err != nil {
			r.headerErr = err
			return nil, err
		}
		r.header = true
	}
	fields, err := r.csv.Read()
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return &Record{Line: perr.StartLine, Problems: []string{describeParseError(perr)}}, nil
	}
	if err != nil {
		return nil, err
	}
	line, _ := r.csv.FieldPos(0)
	rec := &Record{Line: line}
	if len(fields) > 0 {
		rec.Contact.Email = strings.TrimSpace(fields[0])
	}
	if len(fields) != len(Columns) {
		rec.Problems = []string{fmt.Sprintf("has %d columns, want %d (%s)", len(fields), len(Columns), strings.Join(Columns, ","))}
		return rec, nil
	}
	for i, f := range fields {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			rec.Problems = []string{fmt.Sprintf("column %s is not valid UTF-8 text (is the file saved as UTF-8?)", Columns[i])}
			return rec, nil
		}
	}
	c := &rec.Contact
	c.Name, c.Kind, c.Organisation, c.Country = fields[1], fields[2], fields[3], fields[4]
	c.Languages = splitList(fields[5])
	c.Timezone = fields[6]
	verified, ok := parseBool(fields[7])
	if !ok {
		rec.Problems = append(rec.Problems, fmt.Sprintf("verified %q is not true, false, yes, no, 1 or 0", strings.TrimSpace(fields[7])))
	}
	c.Verified = verified
	c.Regions, c.Countries, c.Topics = splitList(fields[8]), splitList(fields[9]), splitList(fields[10])
	c.Phone, c.Title = fields[11], fields[12]
	rec.Problems = append(r.norm.normalize(c), rec.Problems...)
	return rec, nil
}

func (r *Reader) readHeader() error {
	if b, err := r.src.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		r.src.Discard(3)
	}
	want := strings.Join(Columns, ",")
	fields, err := r.csv.Read()
	var perr *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return r.refuseHeader("the file is empty", 1, "the header "+want+" is missing")
	case errors.As(err, &perr):
		return r.refuseHeader("the header is not valid CSV", perr.StartLine, describeParseError(perr))
	case err != nil:
		return err
	}
	got := make([]string, len(fields))
	for i, f := range fields {
		got[i] = strings.ToLower(strings.TrimSpace(f))
	}
	if strings.Join(got, ",") != want {
		line, _ := r.csv.FieldPos(0)
		return r.refuseHeader("the header does not name the contact columns", line,
			fmt.Sprintf("header is %q, want %q", strings.Join(fields, ","), want))
	}
	return nil
}

func (r *Reader) refuseHeader(msg string, line int, reason string) error {
	r.headerProblem = &RowError{Line: line, Reason: reason}
	return &communique.Error{Code: communique.EINVALID, Message: msg, Details: []string{r.headerProblem.String()}}
}

func describeParseError(e *csv.ParseError) string {
	return fmt.Sprintf("malformed CSV at line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, listSep)
}

// parseBool reads the verified column; empty means false.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "no", "0":
		return false, true
	case "true", "yes", "1":
		return true, true
	}
	return false, false
}

// csvRecord returns c in the order of Columns, reusing buf.
func csvRecord(c *Contact, buf []string) []string {
	return append(buf[:0], c.Email, c.Name, c.Kind, c.Organisation, c.Country,
		strings.Join(c.Languages, listSep), c.Timezone, strconv.FormatBool(c.Verified),
		strings.Join(c.Regions, listSep), strings.Join(c.Countries, listSep), strings.Join(c.Topics, listSep),
		c.Phone, c.Title)
}
