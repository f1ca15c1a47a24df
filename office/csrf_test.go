package office

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/communique/communique/users"
)

func TestFormsRefusedWithoutThisSessionsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user("amina@example.org", users.PressOfficer, pw)
	b.user("omar@example.org", users.PressOfficer, pw)
	amina, omar := b.browser(), b.browser()
	amina.signIn("amina@example.org", pw)
	omar.signIn("omar@example.org", pw)
	amina.get("/office/profile")
	omar.get("/office/profile")
	if amina.csrf == "" || amina.csrf == omar.csrf {
		t.Fatalf("form tokens %q and %q: want one per session", amina.csrf, omar.csrf)
	}
	change := url.Values{"name": {"Changed"}, "ui_language": {"fr"}}
	withToken := func(tok string) url.Values {
		f := url.Values{"csrf": {tok}}
		for k, v := range change {
			f[k] = v
		}
		return f
	}
	for _, tc := range []struct {
		what   string
		form   url.Values
		header []string
	}{
		{"no token", change, nil},
		{"an empty token", withToken(""), nil},
		{"another session's token", withToken(omar.csrf), nil},
		{"a token cut short", withToken(amina.csrf[:len(amina.csrf)-1]), nil},
		{"a cross-site request with the right token", withToken(amina.csrf), []string{"Sec-Fetch-Site", "cross-site"}},
		{"another origin with the right token", withToken(amina.csrf), []string{"Origin", "https://evil.example"}},
	} {
		res := amina.postRaw("/office/profile", tc.form, tc.header...)
		wantStatus(t, tc.what, res, http.StatusForbidden, "This form has expired", `href="/office/profile"`)
		got, err := users.Get(context.Background(), b.db, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != u.Name || got.UILanguage != "en" {
			t.Fatalf("%s: the profile changed to %q, %q", tc.what, got.Name, got.UILanguage)
		}
	}
	if n := count(t, b.db, `SELECT count(*) FROM audit_log`); n != 0 {
		t.Errorf("%d audit entries after refused forms", n)
	}
	// The same form from this session's page goes through.
	res := amina.postRaw("/office/profile", withToken(amina.csrf), "Sec-Fetch-Site", "same-origin", "Origin", b.url)
	if res.status != http.StatusSeeOther {
		t.Fatalf("the form with its token: %d\n%s", res.status, res.body)
	}
	if got, _ := users.Get(context.Background(), b.db, u.ID); got.Name != "Changed" || got.UILanguage != "fr" {
		t.Fatalf("after the form: %q %q", got.Name, got.UILanguage)
	}
}

func TestSignInFormNeedsItsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)

	// A page elsewhere posting the sign-in form (login CSRF) signs nobody in.
	br := b.browser()
	res := br.postRaw("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}})
	wantStatus(t, "sign-in without a session", res, http.StatusForbidden, `href="/office/signin"`)
	wantSignIn(t, "home", br.get("/office/"))

	attacker := b.browser()
	attacker.get("/office/signin")
	br.get("/office/signin")
	res = br.postRaw("/office/signin", url.Values{"csrf": {attacker.csrf}, "email": {"amina@example.org"}, "password": {pw}})
	wantStatus(t, "sign-in with another session's token", res, http.StatusForbidden)
	wantSignIn(t, "home", br.get("/office/"))
	if n := count(t, b.db, `SELECT count(*) FROM signin_failures`); n != 0 {
		t.Errorf("refused forms counted as %d failed sign-ins", n)
	}

	// Forms that are not forms, or too big, are refused as such.
	br.get("/office/signin")
	big := url.Values{"csrf": {br.csrf}, "email": {strings.Repeat("a", 70<<10)}, "password": {pw}}
	wantStatus(t, "a body over the limit", br.postRaw("/office/signin", big), http.StatusBadRequest, "This form could not be read")
	req, _ := http.NewRequest(http.MethodPost, b.url+"/office/signin", strings.NewReader("%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, "a body that does not parse", br.do(req), http.StatusBadRequest)
}
