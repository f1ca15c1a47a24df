package templates

import (
	"golang.org/x/text/language"
)

// MatchLanguage picks the translation a reader gets: the best match for
// their ordered preferences among the available languages, by
// golang.org/x/text/language's matcher (so "fr-CH" reads "fr", and "pt"
// does not read "es"), or original when none of their languages matches.
// available must include original.
func MatchLanguage(prefs, available []string, original string) string {
	if len(prefs) == 0 || len(available) == 0 {
		return original
	}
	tags := make([]language.Tag, 0, len(available)+1)
	// The matcher answers with its first tag when nothing matches well
	// enough: put the original first so that is the fallback.
	tags = append(tags, language.Make(original))
	names := []string{original}
	for _, a := range available {
		if a != original {
			tags = append(tags, language.Make(a))
			names = append(names, a)
		}
	}
	want := make([]language.Tag, 0, len(prefs))
	for _, p := range prefs {
		if t, err := language.Parse(p); err == nil {
			want = append(want, t)
		}
	}
	_, i, conf := language.NewMatcher(tags).Match(want...)
	if conf == language.No {
		return original
	}
	return names[i]
}
