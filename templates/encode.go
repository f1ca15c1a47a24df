package templates

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// This file encodes what goes into MIME headers and bodies by hand, for
// speed (WriteMessage runs per recipient) and because the standard
// library leaves pure-ASCII text alone: a name spelled like an encoded
// word ("=?UTF-8?Q?=0D=0A…?=") must be encoded, not passed through for a
// reader to decode into a line break.

const hexDigits = "0123456789ABCDEF"

// appendQP appends s in quoted-printable (RFC 2045), as lines of at most
// 76 characters; "\n" and "\r\n" become CRLF line breaks. Unless final, a
// part that does not end with a line break ends with a soft one, so that
// separately encoded pieces concatenate into valid quoted-printable.
func appendQP(dst []byte, s string, final bool) []byte {
	col := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || (c == '\r' && i+1 < len(s) && s[i+1] == '\n') {
			if c == '\r' {
				i++
			}
			dst = append(dst, '\r', '\n')
			col = 0
			continue
		}
		enc := false
		switch {
		case c == ' ' || c == '\t':
			// Transports may strip whitespace at the end of a line.
			if j := i + 1; j == len(s) {
				enc = final
			} else {
				enc = s[j] == '\n' || (s[j] == '\r' && j+1 < len(s) && s[j+1] == '\n')
			}
		case c == '=', c < ' ', c > '~':
			enc = true
		}
		n := 1
		if enc {
			n = 3
		}
		if col+n > 75 { // room for the soft break's "="
			dst = append(dst, '=', '\r', '\n')
			col = 0
		}
		if enc {
			dst = append(dst, '=', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
		col += n
	}
	if !final && col > 0 {
		dst = append(dst, '=', '\r', '\n')
	}
	return dst
}

// qpString is appendQP for Prepare, which encodes each literal once.
func qpString(s string, final bool) string {
	return string(appendQP(make([]byte, 0, len(s)+len(s)/8), s, final))
}

// appendUnstructured appends s as the value of an unstructured header
// (Subject) that starts at column col: plain ASCII folded at spaces, or
// RFC 2047 encoded words when s has anything else, "=?" or a word too
// long to fold.
func appendUnstructured(dst []byte, col int, s string) []byte {
	if plainASCII(s) && foldable(s) {
		return appendFolded(dst, col, s)
	}
	return appendEncodedWords(dst, col, s)
}

// appendPhrase appends a display name: as is when it is atoms, as a quoted
// string when it is other printable ASCII that fits on the line, else as
// encoded words.
func appendPhrase(dst []byte, col int, s string) []byte {
	if plainASCII(s) {
		if isAtoms(s) && foldable(s) {
			return appendFolded(dst, col, s)
		}
		if col+len(s)+2 <= 78 {
			dst = append(dst, '"')
			for i := 0; i < len(s); i++ {
				if s[i] == '"' || s[i] == '\\' {
					dst = append(dst, '\\')
				}
				dst = append(dst, s[i])
			}
			return append(dst, '"')
		}
	}
	return appendEncodedWords(dst, col, s)
}

// foldable reports whether every space-separated word of s fits on a
// folded line.
func foldable(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			n = 0
		} else if n++; n > 76 {
			return false
		}
	}
	return true
}

// appendFolded appends s, folding at spaces to keep lines within 78
// characters.
func appendFolded(dst []byte, col int, s string) []byte {
	for first := true; ; first = false {
		w, rest, more := strings.Cut(s, " ")
		if !first {
			if col+1+len(w) > 78 {
				dst = append(dst, "\r\n"...)
				col = 0
			}
			dst = append(dst, ' ')
			col++
		}
		dst = append(dst, w...)
		col += len(w)
		if !more {
			return dst
		}
		s = rest
	}
}

// plainASCII reports whether s is printable ASCII that no decoder would
// take for an encoded word.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return !strings.Contains(s, "=?")
}

// isAtoms reports whether s is atext (RFC 5322) words separated by single
// spaces, which a phrase may hold unquoted.
func isAtoms(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		case c == ' ' && s[i-1] != ' ':
		default:
			return false
		}
	}
	return true
}

// qSafe are the bytes a Q-encoded word may carry as themselves in any
// header, phrases included (RFC 2047, section 5 (3)).
func qSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '!' || c == '*' || c == '+' || c == '-' || c == '/'
}

// appendEncodedWords appends s as UTF-8 encoded words of at most 75
// characters, folded onto continuation lines, never splitting a
// character; Q encoding for mostly Latin text, B (base64) when shorter.
func appendEncodedWords(dst []byte, col int, s string) []byte {
	qLen := 0
	for i := 0; i < len(s); i++ {
		if qSafe(s[i]) || s[i] == ' ' {
			qLen++
		} else {
			qLen += 3
		}
	}
	b := base64.StdEncoding.EncodedLen(len(s)) < qLen
	open := "=?utf-8?q?"
	if b {
		open = "=?utf-8?b?"
	}
	const closing = "?="
	budget := func() int { return 76 - col - len(open) - len(closing) }
	if budget() < 12 {
		dst = append(dst, "\r\n "...)
		col = 1
	}
	for len(s) > 0 {
		room := budget()
		// How many bytes of s fit in this word, whole characters only.
		n, used := 0, 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			var cost int
			if b {
				cost = base64.StdEncoding.EncodedLen(n+size) - used
			} else {
				cost = 0
				for k := n; k < n+size; k++ {
					if qSafe(s[k]) || s[k] == ' ' {
						cost++
					} else {
						cost += 3
					}
				}
			}
			if used+cost > room && n > 0 {
				break
			}
			used += cost
			n += size
		}
		dst = append(dst, open...)
		if b {
			dst = base64.StdEncoding.AppendEncode(dst, []byte(s[:n]))
		} else {
			for k := 0; k < n; k++ {
				switch c := s[k]; {
				case c == ' ':
					dst = append(dst, '_')
				case qSafe(c):
					dst = append(dst, c)
				default:
					dst = append(dst, '=', hexDigits[c>>4], hexDigits[c&15])
				}
			}
		}
		dst = append(dst, closing...)
		s = s[n:]
		if len(s) > 0 {
			dst = append(dst, "\r\n "...)
			col = 1
		}
	}
	return dst
}

// headerAddress checks an addr-spec for a header and returns it with an
// internationalized domain in its ASCII (punycode) form. Anything that
// could end the header, start a new one or add an address is refused:
// controls, spaces, quotes, angle brackets, commas and the like.
func headerAddress(addr string) (string, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("address %q: want local@domain", addr)
	}
	local, domain := addr[:at], addr[at+1:]
	if strings.Contains(local, "=?") {
		// Legal, but only ever seen in attempts to smuggle an encoded word.
		return "", fmt.Errorf("address %q: \"=?\" is not allowed before the @", addr)
	}
	for i, r := range local {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(local[i:], "\uFFFD"):
			return "", fmt.Errorf("address %q: not valid UTF-8 before the @", addr)
		case r >= utf8.RuneSelf:
			// An internationalized local part (RFC 6532) goes as UTF-8;
			// the mailer sends it only to a server offering SMTPUTF8.
			if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
				return "", fmt.Errorf("address %q: character %q is not allowed before the @", addr, r)
			}
		case r <= ' ' || r > '~' || strings.IndexByte(`<>()[]\,;:"@`, byte(r)) >= 0:
			return "", fmt.Errorf("address %q: character %q is not allowed before the @", addr, r)
		}
	}
	for i := 0; i < len(domain); i++ {
		if c := domain[i]; c < 0x80 && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", fmt.Errorf("address %q: character %q is not allowed in the domain", addr, c)
		}
		if domain[i] >= 0x80 {
			ascii, err := idna.Lookup.ToASCII(domain)
			if err != nil {
				return "", fmt.Errorf("address %q: domain: %w", addr, err)
			}
			return local + "@" + ascii, nil
		}
	}
	return addr, nil
}

// headerToken checks a value that goes into a header as is (a Message-ID,
// a URL, a language tag): printable ASCII, no space, no angle bracket.
func headerToken(what, s string) error {
	if s == "" || len(s) > 900 {
		return fmt.Errorf("%s: want 1 to 900 characters", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return fmt.Errorf("%s %q: character %q is not allowed", what, s, c)
		}
	}
	return nil
}
