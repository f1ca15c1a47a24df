package mailer

import (
	"strings"
)

// ProviderID returns the id a relay gave a message in its answer to the
// final dot, or "" when the answer names none. Provider webhooks that do
// not carry our Message-ID name the message by it. The forms known:
//
//	Postfix, SendGrid   250 2.0.0 Ok: queued as 4Xk3Lq1vQpz9
//	Amazon SES          250 Ok 0102018f3c2a7b1e-5d6f…-000000
//	Postmark            250 2.0.0 Ok: 8c3b2a0e-…
//	Exim                250 OK id=1rX2ab-0001Cd-3F
//	Gmail               250 2.0.0 OK  1700000000 x12-2002…si.123 - gsmtp
//
// reply may start with its code and enhanced status, or not (textproto
// hands back the text alone). An answer that names no id (Mailgun's
// "250 Great success", a bare "250 Ok") gives "".
func ProviderID(reply string) string {
	s := strings.Join(strings.Fields(reply), " ")
	s = skipStatus(s)
	lower := asciiLower(s) // byte for byte, so its indexes are s's
	if i := strings.Index(lower, "queued as "); i >= 0 {
		return idToken(firstWord(s[i+len("queued as "):]), false)
	}
	if i := strings.Index(lower, "id="); i >= 0 && (i == 0 || s[i-1] == ' ') {
		return idToken(firstWord(s[i+len("id="):]), false)
	}
	if len(lower) < 2 || lower[:2] != "ok" {
		return ""
	}
	rest := strings.TrimLeft(s[2:], ":")
	if rest == s[2:] && !strings.HasPrefix(rest, " ") {
		return "" // "okay", "OKAY": a word, not "Ok" and an id
	}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return ""
	}
	// Gmail puts a Unix time before its id.
	if len(words) > 1 && allDigits(words[0]) {
		words = words[1:]
	}
	return idToken(words[0], true)
}

// skipStatus drops a leading reply code ("250", "250-") and enhanced
// status code ("2.0.0").
func skipStatus(s string) string {
	if len(s) >= 3 && allDigits(s[:3]) && (len(s) == 3 || s[3] == ' ' || s[3] == '-') {
		s = strings.TrimLeft(s[3:], " -")
	}
	w := firstWord(s)
	if parts := strings.Split(w, "."); len(parts) == 3 && allDigits(parts[0]) && allDigits(parts[1]) && allDigits(parts[2]) && parts[0] != "" {
		s = strings.TrimLeft(s[len(w):], " ")
	}
	return s
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// idToken returns w, without angle brackets or trailing punctuation, if
// it can be an id: 4 to 200 characters of letters, digits and
// ._:@+=/-, and for an id found only by position (after "Ok"), at least
// one digit, so that "Ok: queued" or "OK message accepted" name none.
func idToken(w string, needDigit bool) string {
	w = strings.TrimRight(strings.TrimPrefix(strings.TrimSuffix(w, ">"), "<"), ".,;")
	if len(w) < 4 || len(w) > 200 {
		return ""
	}
	digit := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', strings.IndexByte("._:@+=/-", c) >= 0:
		default:
			return ""
		}
	}
	if needDigit && !digit {
		return ""
	}
	return w
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
