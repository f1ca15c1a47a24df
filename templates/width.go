package templates

import (
	"unicode"

	"golang.org/x/text/width"
)

// Plain text is laid out for a fixed-width font, where a character takes
// zero, one or two columns: Arabic vowel marks and other combining marks,
// and the invisible direction marks, take none; Chinese, Japanese and
// Korean characters and emoji take two. Counting runes would misplace
// every column of a table and every underline after them.

// runeWidth is the number of columns r takes.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1 // ASCII and Latin-1: the common case, without table lookups
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1160 && r <= 0x11ff:
		return 0 // Hangul vowels and finals, which join the preceding initial
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// displayWidth is the number of columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// ruleWidth is the width of the widest of lines.
func ruleWidth(lines []string) int {
	n := 0
	for _, l := range lines {
		n = max(n, displayWidth(l))
	}
	return n
}
