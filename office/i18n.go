package office

import (
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"github.com/communique/communique/users"
)

// languages are the languages of the office's pages, as users.UILanguages
// lists them; the first is the fallback.
var languages = []language.Tag{language.English, language.French, language.Spanish, language.Arabic}

var matcher = language.NewMatcher(languages)

// languageNames are the names of the languages in themselves, for the
// language links and the profile's choice.
var languageNames = map[string]string{"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

// uiLanguage maps a BCP 47 tag to a page language ("fr-CA" to fr).
func uiLanguage(s string) (string, bool) {
	if s == "" || len(s) > 35 {
		return "", false
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	_, i, conf := matcher.Match(tag)
	if conf == language.No {
		return "", false
	}
	return languages[i].String(), true
}

// pageLanguage chooses the language of a page: the one this browser chose
// with a language link, then the user's own, then the browser's
// Accept-Language, then English.
func (h *Handler) pageLanguage(r *http.Request, u *users.User) string {
	if l, ok := uiLanguage(h.sessions.GetString(r.Context(), keyLang)); ok {
		return l
	}
	if u != nil {
		if l, ok := uiLanguage(u.UILanguage); ok {
			return l
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil && len(tags) > 0 {
		if _, i, conf := matcher.Match(tags...); conf != language.No {
			return languages[i].String()
		}
	}
	return "en"
}

// translate returns the text of key in lang, in English when lang lacks
// it, and a visible marker when no language has it, so that a test of
// every page in every language catches a missing text.
func translate(lang, key string, args ...any) string {
	s, ok := catalog[lang][key]
	if !ok {
		if s, ok = catalog["en"][key]; !ok {
			return "[missing text " + strings.ToUpper(key) + "]"
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
