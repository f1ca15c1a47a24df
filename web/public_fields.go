package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what the public forms take. Names and outlets are free text
// people type; the address is bounded by RFC 5321; everything else is a
// value the form offers, which no real one comes near.
const (
	maxFormBody   = 64 << 10
	maxEmailChars = 254
	maxTextChars  = 200
	maxWordChars  = 64
	maxChoices    = 300
)

// fieldProblem is what is wrong with one field of a public form: shown
// next to the field, and above the form with the field's name.
type fieldProblem struct {
	// ID is the id of the form element the problem is about.
	ID string
	// Label is the key of the field's name; Key of the problem's text,
	// whose %s stands for Arg.
	Label, Key, Arg string
}

// readSelection reads the subscription fields of a submitted subscribe
// (withEmail) or preferences form. A field that holds what no person can
// type (invalid UTF-8, a NUL or another control character), is longer than
// its bound, or repeats more than the form could, is a problem naming it;
// the selection then holds what can be shown back in the form.
func readSelection(f url.Values, withEmail bool) (selection, []fieldProblem) {
	var ps []fieldProblem
	add := func(p fieldProblem) {
		if !slices.ContainsFunc(ps, func(q fieldProblem) bool { return q.ID == p.ID }) {
			ps = append(ps, p)
		}
	}
	text := func(name string, max int) string {
		v, key, arg := checkText(f.Get(name), max)
		if key != "" {
			add(fieldProblem{ID: name, Label: name, Key: key, Arg: arg})
		}
		return v
	}
	// A value the form offers (a time zone, a language, a region): one that
	// fails is no choice the form made, whatever is wrong with it.
	word := func(v, id string) (string, bool) {
		v, key, _ := checkText(v, maxWordChars)
		if key != "" {
			add(fieldProblem{ID: id, Label: id, Key: "err_choice"})
			return "", false
		}
		return v, true
	}
	choices := func(name, id string) []string {
		if len(f[name]) > maxChoices {
			add(fieldProblem{ID: id, Label: id, Key: "err_choice"})
			return nil
		}
		var out []string
		for _, v := range f[name] {
			if v, ok := word(v, id); ok {
				out = append(out, v)
			}
		}
		return out
	}

	var s selection
	if withEmail {
		s.Email = text("email", maxEmailChars)
	}
	s.Name = text("name", maxTextChars)
	s.Organisation = text("organisation", maxTextChars)
	s.Timezone, _ = word(f.Get("timezone"), "timezone")
	s.Regions = choices("region", "regions")
	s.Countries = choices("country", "countries")
	s.Topics = choices("topic", "topics")
	for _, k := range []string{"lang1", "lang2", "lang3"} {
		if l, _ := word(f.Get(k), "languages"); l != "" && !slices.Contains(s.Languages, l) {
			s.Languages = append(s.Languages, l)
		}
	}
	return s, ps
}

// checkText trims a single-line text field and checks it: it returns the
// value, or one fit to show back in the form, and the key of its problem
// ("" for none) with the text's argument.
func checkText(v string, max int) (string, string, string) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		clean := strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return utf8.RuneError
			}
			return r
		}, strings.ToValidUTF8(v, string(utf8.RuneError)))
		return truncateRunes(clean, max), "err_chars", ""
	}
	if utf8.RuneCountInString(v) > max {
		return v, "err_too_long", strconv.Itoa(max)
	}
	return v, "", ""
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// Problem returns the problem of the form element id, or nil.
func (pg *page) Problem(id string) *fieldProblem {
	for i := range pg.Problems {
		if pg.Problems[i].ID == id {
			return &pg.Problems[i]
		}
	}
	return nil
}
