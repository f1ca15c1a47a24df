package contacts

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// isFormulaStart reports the first characters that make a spreadsheet run
// a cell as a formula (OWASP's list for CSV injection).
func isFormulaStart(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// needsGuard reports a cell that export must prefix with "'": one that
// starts like a formula, or that already is a run of "'" before such a
// start, so that import, which drops one "'", gives back exactly it.
func needsGuard(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && isFormulaStart(s[0])
}

// neutralise is the cell export writes for s: "'" before any cell a
// spreadsheet would run as a formula ("+222 45 00 00 00" becomes
// "'+222 45 00 00 00").
func neutralise(s string) string {
	if needsGuard(s) {
		return "'" + s
	}
	return s
}

// restore undoes neutralise: a cell of "'" followed by what needsGuard
// catches loses its first "'". No other cell changes.
func restore(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsGuard(s[1:]) {
		return s[1:]
	}
	return s
}

// splitList splits a list cell. Slugs, codes and language tags hold
// neither "," nor ";", so both separate items: a ";"-separated file uses
// ",", and a quoted cell may use either.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' })
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

// consentLayouts are the forms consent_at is read in: the export's RFC
// 3339, and what a spreadsheet makes of it when it reformats the cell.
var consentLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// parseConsentAt reads consent_at; a time without a zone is UTC.
func parseConsentAt(s string) (*time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	for _, layout := range consentLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, ""
		}
	}
	return nil, fmt.Sprintf("consent_at %s is not an RFC 3339 time such as 2026-11-27T09:30:00Z", quote(s))
}

// MaxRowBytes bounds one CSV row (a record, which quoted line breaks may
// spread over several lines); the largest valid row is far smaller.
const MaxRowBytes = 256 << 10

var errRowTooLong = errors.New("row too long")

// rowGuard counts the bytes the CSV parser takes for the row it is
// reading and fails past MaxRowBytes, so an unclosed quote or a line of
// megabytes cannot make the parser hold the file in memory. The parser
// reads ahead by its buffer (4 KiB), so the bound is approximate by that.
type rowGuard struct {
	r io.Reader
	n int
}

func (g *rowGuard) Read(p []byte) (int, error) {
	if g.n > MaxRowBytes {
		return 0, errRowTooLong
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

// next starts counting a new row.
func (g *rowGuard) next() { g.n = 0 }
