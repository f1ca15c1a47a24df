package templates

import (
	"html/template"

	"golang.org/x/text/language"
)

// BodyHTML renders a release body (Markdown) as the sanitized HTML of its
// messages, for a web page: the same parser, phone-number isolation in
// right-to-left text and sanitizer as the mail, so a page never shows
// what a message would not.
func BodyHTML(markdown, lang string) (template.HTML, error) {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.English
	}
	b, err := renderBody([]byte(markdown), labelsFor(tag))
	if err != nil {
		return "", err
	}
	return template.HTML(b.html), nil // sanitized by bodyPolicy
}

// Direction is "rtl" for a language written right to left, else "ltr".
func Direction(lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return "ltr"
	}
	// A translation may be in a language without labels of its own
	// (Persian, Hebrew, Urdu): its script still decides the direction.
	if script, _ := tag.Script(); rtlScripts[script.String()] {
		return "rtl"
	}
	return "ltr"
}

// rtlScripts are the scripts written right to left that releases use.
var rtlScripts = map[string]bool{"Arab": true, "Hebr": true, "Thaa": true, "Syrc": true, "Nkoo": true, "Adlm": true}
