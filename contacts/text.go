package contacts

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a contact's fields. They keep one row from holding megabytes
// (a name is shown in every message's greeting) and are checked the same
// way on the API, the CSV import and the public pages.
const (
	// MaxEmailLen is RFC 5321's limit on a forward path, in bytes.
	MaxEmailLen = 254
	// MaxTextLen bounds name, organisation, title and consent source, in
	// characters.
	MaxTextLen = 200
	// MaxPhoneLen bounds phone, in characters.
	MaxPhoneLen = 50
	// MaxLanguages bounds the languages list; nobody reads ten.
	MaxLanguages = 10
	// MaxListLen bounds each of regions, countries and topics.
	MaxListLen = 500
	// maxTagLen is the length RFC 5646 asks every implementation to
	// support for a language tag.
	maxTagLen = 35
	// maxShortLen bounds the fields whose valid values are short words
	// (kind, country, time zone, status, consent address, list items), so
	// a huge one is refused before it is parsed or quoted.
	maxShortLen = 100
)

// lineBreaks are the characters a spreadsheet cell or a form field may
// hold that would break a mail header or a CSV line; in single-line text
// they become a space.
func isLineBreak(r rune) bool {
	switch r {
	case '\r', '\n', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// isControl reports the C0 and C1 control characters and DEL.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// cleanText returns s trimmed, with every run of line breaks and tabs
// made one space, and why it cannot be stored as field: invalid UTF-8,
// a NUL or another control character, or more than max characters.
func cleanText(field, s string, max int) (string, string) {
	if p := checkBytes(field, s); p != "" {
		return s, p
	}
	if strings.IndexFunc(s, isLineBreak) >= 0 {
		var b strings.Builder
		space := false
		for _, r := range s {
			if isLineBreak(r) {
				space = true
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return s, fmt.Sprintf("%s contains the control character U+%04X", field, r)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return s, fmt.Sprintf("%s is %d characters long, more than %d", field, n, max)
	}
	return s, ""
}

// checkWord returns why s cannot be the value of a short field (a code, a
// slug, a time zone): invalid UTF-8, a control character, or too long.
func checkWord(field, s string) string {
	if p := checkBytes(field, s); p != "" {
		return p
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("%s contains the control character U+%04X", field, r)
	}
	if len(s) > maxShortLen {
		return fmt.Sprintf("%s is %d bytes long, more than %d", field, len(s), maxShortLen)
	}
	return ""
}

// checkBytes refuses what PostgreSQL cannot store in text: invalid UTF-8
// and NUL.
func checkBytes(field, s string) string {
	if !utf8.ValidString(s) {
		return field + " is not valid UTF-8 text"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return field + " contains a NUL byte"
	}
	return ""
}

// quote is %q of s, shortened: problems echo what they refuse, and a
// refused value may be megabytes long.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", s[:cut])
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
