package newsroom

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }

// displaySelf names a language in itself ("Deutsch"), or by its tag.
func displaySelf(t language.Tag) string {
	if n := display.Self.Name(t); n != "" {
		return n
	}
	return t.String()
}
