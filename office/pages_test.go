package office

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/users"
)

func TestEveryPageIsSafeAndLocalized(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.user("amina@example.org", users.Admin, pw)
	fresh, _ := users.Create(ctx, b.db, users.NewUser{Email: "new@example.org", Role: users.Viewer})
	welcome, _ := users.IssueLink(ctx, b.db, fresh.ID, users.SignInLink, time.Hour)
	reset, _ := users.IssueLink(ctx, b.db, fresh.ID, users.ResetLink, time.Hour)

	for _, lang := range []string{"en", "fr", "es", "ar"} {
		br := b.browser()
		br.lang = lang + ";q=0.9, de;q=0.8"
		// A link's page is in its user's language.
		if _, err := users.Update(ctx, b.db, fresh.ID, users.Patch{UILanguage: ptr(lang)}); err != nil {
			t.Fatal(err)
		}
		pages := map[string]response{
			"signin":     br.get("/office/signin"),
			"reset":      br.get("/office/reset"),
			"welcome":    br.get("/office/welcome/" + welcome),
			"reset link": br.get("/office/reset/" + reset),
			"gone link":  br.get("/office/welcome/nonsense"),
		}
		br.get("/office/signin")
		pages["failed sign-in"] = br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {"wrong, very wrong"}})
		pages["reset sent"] = br.post("/office/reset", url.Values{"email": {"nobody@example.org"}})
		pages["expired form"] = br.postRaw("/office/reset", url.Values{"email": {"nobody@example.org"}})
		br.signIn("amina@example.org", pw)
		// Signed in, the user's language (English) comes first, unless
		// this browser chose another with a language link.
		if lang != "en" && strings.Contains(br.get("/office/").body, `lang="`+lang+`" dir`) {
			t.Errorf("%s: the browser's language before the user's", lang)
		}
		pages["home"] = br.get("/office/?lang=" + lang)
		pages["profile"] = br.get("/office/profile")
		pages["bad profile"] = br.post("/office/profile/password", url.Values{"current_password": {""}, "new_password": {"short"}})
		pages["token"] = br.post("/office/profile/tokens", url.Values{"token_name": {"t-" + lang}, "token_role": {"editor"}, "token_expires": {"1d"}})
		pages["not found"] = br.get("/office/nowhere")
		for name, res := range pages {
			if res.status >= 500 {
				t.Errorf("%s %s: status %d", lang, name, res.status)
			}
			if want := `<html lang="` + lang + `" dir="` + pageDir(lang) + `">`; !strings.Contains(res.body, want) {
				t.Errorf("%s %s: not in %s\n%s", lang, name, want, res.body)
			}
			if strings.Contains(res.body, "[missing text") {
				t.Errorf("%s %s: a text is missing\n%s", lang, name, res.body)
			}
			for h, want := range map[string]string{
				"Cache-Control":   "no-store",
				"X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer",
			} {
				if got := res.header.Get(h); got != want {
					t.Errorf("%s %s: %s %q", lang, name, h, got)
				}
			}
			csp := res.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s %s: Content-Security-Policy %q lacks %s", lang, name, csp, want)
				}
			}
			if strings.Contains(res.body, "<script") || strings.Contains(res.body, " style=") {
				t.Errorf("%s %s: inline script or style, which the policy forbids", lang, name)
			}
		}
	}
}

func TestVisitorsAreSentToSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.Viewer, pw)
	br := b.browser()
	for path, next := range map[string]string{
		"/office/":              "",
		"/office/profile":       "/office/profile",
		"/office/nowhere?a=b":   "/office/nowhere?a=b",
		"/office/profile/token": "/office/profile/token",
	} {
		res := br.get(path)
		wantSignIn(t, path, res)
		u, _ := url.Parse(res.location)
		if u.Query().Get("next") != next {
			t.Errorf("%s: sent to %s", path, res.location)
		}
	}
	for _, path := range []string{"/office/profile", "/office/profile/tokens", "/office/signout", "/office/profile/password"} {
		wantSignIn(t, "POST "+path, br.postRaw(path, url.Values{"name": {"x"}}))
	}
	br.signIn("amina@example.org", pw)
	wantStatus(t, "a page that does not exist", br.get("/office/nowhere"), http.StatusNotFound, "Page not found")
	res := br.get("/office/signin?next=/office/profile")
	if res.status != http.StatusSeeOther || res.location != "/office/profile" {
		t.Errorf("the sign-in page when signed in: %d %q", res.status, res.location)
	}
	css := br.get("/office/static/office.css")
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || css.header.Get("Set-Cookie") != "" {
		t.Errorf("stylesheet: %d %q, cookie %q", css.status, css.header.Get("Content-Type"), css.header.Get("Set-Cookie"))
	}
}

func TestPageLanguage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	u := b.user("amina@example.org", users.Viewer, pw)
	lang := regexp.MustCompile(`<html lang="([a-z]+)"`)
	langOf := func(res response) string { return lang.FindStringSubmatch(res.body)[1] }

	br := b.browser()
	if got := langOf(br.get("/office/signin")); got != "en" {
		t.Errorf("no preference: %s", got)
	}
	br.lang = "es-MX,es;q=0.9,en;q=0.5"
	if got := langOf(br.get("/office/signin")); got != "es" {
		t.Errorf("Accept-Language es-MX: %s", got)
	}
	// Signed in, the user's own language comes before the browser's.
	if _, err := users.Update(ctx, b.db, u.ID, users.Patch{UILanguage: ptr("fr")}); err != nil {
		t.Fatal(err)
	}
	br.signIn("amina@example.org", pw)
	if got := langOf(br.get("/office/")); got != "fr" {
		t.Errorf("a French user: %s", got)
	}
	// A language link wins for the rest of the session, across pages.
	res := br.get("/office/?lang=ar")
	if got := langOf(res); got != "ar" || !strings.Contains(res.body, `dir="rtl"`) {
		t.Errorf("?lang=ar: %s", got)
	}
	if got := langOf(br.get("/office/profile")); got != "ar" {
		t.Errorf("after ?lang=ar: %s", got)
	}
	if got := langOf(br.get("/office/profile?lang=klingon")); got != "ar" {
		t.Errorf("after an unknown ?lang=: %s", got)
	}
}

func ptr[T any](v T) *T { return &v }

// Every text exists in every language, with the same arguments.
func TestCatalogIsComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[sd]`)
	for _, lang := range []string{"fr", "es", "ar"} {
		for _, key := range slices.Sorted(maps.Keys(textEN)) {
			s, ok := catalog[lang][key]
			if !ok {
				t.Errorf("%s: no %s", lang, key)
				continue
			}
			if !slices.Equal(verbs.FindAllString(s, -1), verbs.FindAllString(textEN[key], -1)) {
				t.Errorf("%s %s: %q takes other arguments than %q", lang, key, s, textEN[key])
			}
		}
		for key := range catalog[lang] {
			if _, ok := textEN[key]; !ok {
				t.Errorf("%s: %s is not an English key", lang, key)
			}
		}
	}
	for _, r := range users.Roles {
		if strings.HasPrefix(translate("ar", "role_"+string(r)), "[missing") {
			t.Errorf("role %s has no name", r)
		}
	}
}

// pageDir is the direction a page in lang must declare: of the office's
// languages only Arabic is written right to left.
func pageDir(lang string) string {
	if lang == "ar" {
		return "rtl"
	}
	return "ltr"
}
