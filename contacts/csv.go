package contacts

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/taxonomy"
)

// Columns are the CSV columns of contacts (SPEC section 5), in the order
// export writes them. Lists inside a cell are separated by ";".
var Columns = []string{"email", "name", "kind", "organisation", "country", "languages",
	"timezone", "verified", "regions", "countries", "topics", "phone", "title"}

// ExportColumns are the columns export writes: Columns, then the status
// and consent record, so that a file imported into an empty database
// gives back the same contacts.
var ExportColumns = append(append([]string(nil), Columns...), "status", "consent_source", "consent_at")

const listSep = ";"

// Record is one data row of a contacts CSV file.
type Record struct {
	// Line is the line the row starts on, the header being line 1.
	Line    int
	Contact Contact
	// Problems says why the row cannot be imported; empty when it can.
	Problems []string
	// kind sorts a refused row for the summary of an import's refusals.
	kind string
}

// Reader reads contacts from CSV one row at a time, so a file of any size
// is read in constant memory. The first line names the columns, in any
// order and without regard to case or surrounding spaces: any of
// ExportColumns, email being required. A UTF-8 byte order mark, CRLF line
// ends and quoted cells (holding commas, quotes or line breaks) are
// accepted; a file whose header is separated by ";" is read with ";"
// between cells (and "," between the items of a list). A cell written
// with a leading "'" to keep a spreadsheet from running it as a formula
// is read without it. A row longer than MaxRowBytes ends the file with an
// error.
type Reader struct {
	src       *bufio.Reader
	guard     *rowGuard
	csv       *csv.Reader
	norm      *normalizer
	header    bool
	headerErr error
	// col holds the position of each of ExportColumns in the file, -1
	// when absent; names are the header's names, for messages.
	col   map[string]int
	names []string
	// lastLine is the line the previous row ended on.
	lastLine int
	// headerProblem is why the header, or a row too long to read past,
	// ended the file, for Import's report.
	headerProblem *RowError
}

// NewReader returns a Reader of r that checks regions and topics against
// known (a nil known rejects every region and topic).
func NewReader(r io.Reader, known *taxonomy.Checker) *Reader {
	src := bufio.NewReaderSize(r, 64<<10)
	guard := &rowGuard{r: src}
	c := csv.NewReader(guard)
	c.FieldsPerRecord = -1 // a short or long row is that row's problem, not the file's
	c.ReuseRecord = true
	return &Reader{src: src, guard: guard, csv: c, norm: newNormalizer(known)}
}

// Read returns the next row with its problems. The error is io.EOF after
// the last row, an EINVALID *communique.Error when the header is missing
// or wrong or a row is too long, or the error reading the input.
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
	r.guard.next()
	fields, err := r.csv.Read()
	var perr *csv.ParseError
	switch {
	case errors.As(err, &perr):
		r.lastLine = perr.Line
		return &Record{Line: perr.StartLine, Problems: []string{describeParseError(perr)}, kind: "csv"}, nil
	case errors.Is(err, errRowTooLong):
		r.headerErr = r.tooLong()
		return nil, r.headerErr
	case err != nil:
		return nil, err
	}
	line, _ := r.csv.FieldPos(0)
	last, _ := r.csv.FieldPos(len(fields) - 1)
	r.lastLine = last + strings.Count(fields[len(fields)-1], "\n")
	return r.record(line, fields), nil
}

// tooLong is the error for a row past MaxRowBytes: the file cannot be
// read further, since where the next row starts is unknown.
func (r *Reader) tooLong() error {
	r.headerProblem = &RowError{Line: r.lastLine + 1,
		Reason: fmt.Sprintf("the row starting here (or just after) is longer than %d KiB; is a quote left open?", MaxRowBytes>>10)}
	return &communique.Error{Code: communique.EINVALID, Message: "a row is too long; nothing was imported",
		Details: []string{r.headerProblem.String()}}
}

// record turns the cells of the row on line into a contact.
func (r *Reader) record(line int, fields []string) *Record {
	rec := &Record{Line: line}
	if i := r.col["email"]; i < len(fields) {
		rec.Contact.Email = truncate(strings.TrimSpace(restore(fields[i])), 2*MaxEmailLen)
	}
	if len(fields) != len(r.names) {
		rec.Problems = []string{fmt.Sprintf("has %d columns, want %d (%s)", len(fields), len(r.names), strings.Join(r.names, ","))}
		rec.kind = "columns"
		return rec
	}
	for i, f := range fields {
		if bad := checkBytes("column "+r.names[i], f); bad != "" {
			if strings.HasSuffix(bad, "UTF-8 text") {
				bad += " (is the file saved as UTF-8?)"
			}
			rec.Problems = []string{bad}
			rec.kind = "text"
			return rec
		}
		fields[i] = restore(f)
	}
	get := func(name string) string {
		if i := r.col[name]; i >= 0 {
			return fields[i]
		}
		return ""
	}
	var p []problem
	c := &rec.Contact
	c.Name, c.Kind, c.Organisation, c.Country = get("name"), get("kind"), get("organisation"), get("country")
	c.Languages = splitList(get("languages"))
	c.Timezone = get("timezone")
	verified, ok := parseBool(get("verified"))
	if !ok {
		p = append(p, problem{"verified", fmt.Sprintf("verified %s is not true, false, yes, no, 1 or 0", quote(strings.TrimSpace(get("verified"))))})
	}
	c.Verified = verified
	c.Regions, c.Countries, c.Topics = splitList(get("regions")), splitList(get("countries")), splitList(get("topics"))
	c.Phone, c.Title = get("phone"), get("title")
	c.Status, c.ConsentSource = get("status"), get("consent_source")
	consentAt, badTime := parseConsentAt(get("consent_at"))
	c.ConsentAt = consentAt
	p = append(r.norm.normalize(c), p...)
	switch c.Status {
	case "", StatusPending, StatusActive, StatusUnsubscribed, StatusBounced, StatusBlocked:
	default:
		if checkWord("status", c.Status) == "" {
			p = append(p, problem{"status", fmt.Sprintf("status %s is not pending, active, unsubscribed, bounced or blocked", quote(c.Status))})
		}
	}
	if badTime != "" {
		p = append(p, problem{"consent_at", badTime})
	}
	if len(p) > 0 {
		rec.Problems, rec.kind = texts(p), p[0].field
	}
	return rec
}

func describeParseError(e *csv.ParseError) string {
	return fmt.Sprintf("malformed CSV at line %d, column %d: %v", e.Line, e.Column, e.Err)
}

// csvRecord returns c in the order of ExportColumns, reusing buf, with
// every cell a spreadsheet would run as a formula neutralised.
func csvRecord(c *Contact, buf []string) []string {
	consentAt := ""
	if c.ConsentAt != nil {
		consentAt = c.ConsentAt.UTC().Format(time.RFC3339Nano)
	}
	buf = append(buf[:0], c.Email, c.Name, c.Kind, c.Organisation, c.Country,
		strings.Join(c.Languages, listSep), c.Timezone, strconv.FormatBool(c.Verified),
		strings.Join(c.Regions, listSep), strings.Join(c.Countries, listSep), strings.Join(c.Topics, listSep),
		c.Phone, c.Title, c.Status, c.ConsentSource, consentAt)
	for i, s := range buf {
		buf[i] = neutralise(s)
	}
	return buf
}
