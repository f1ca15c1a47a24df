package office

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/communique/communique/users"
)

const pw = "correct horse battery staple"

func TestSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	disabled := b.user("gone@example.org", users.Viewer, pw)
	if _, err := users.Disable(context.Background(), b.db, disabled.Email); err != nil {
		t.Fatal(err)
	}

	// Wrong password, unknown address, disabled user: one answer.
	for _, tc := range []struct{ email, password string }{
		{"amina@example.org", "not the password at all"},
		{"nobody@example.org", pw},
		{"gone@example.org", pw},
	} {
		br := b.browser()
		br.get("/office/signin")
		res := br.post("/office/signin", url.Values{"email": {tc.email}, "password": {tc.password}})
		wantStatus(t, "sign in as "+tc.email, res, http.StatusUnauthorized, "Wrong address or password.")
		if strings.Contains(res.body, tc.password) {
			t.Errorf("the page repeats the password")
		}
		if !strings.Contains(res.body, `value="`+tc.email+`"`) {
			t.Errorf("the page forgot the address typed")
		}
		wantSignIn(t, "after a failed sign-in", br.get("/office/"))
	}

	// Empty fields are named, and cost no attempt.
	br := b.browser()
	br.get("/office/signin")
	res := br.post("/office/signin", url.Values{"email": {""}, "password": {""}})
	wantStatus(t, "empty form", res, http.StatusUnprocessableEntity, `id="email-error"`, `id="password-error"`, `aria-invalid="true"`)
	if n := count(t, b.db, `SELECT count(*) FROM signin_failures`); n != 3*2 {
		t.Errorf("failures recorded: %d, want 6 (three attempts, each per account and per client)", n)
	}

	// Success, with the case of the address aside.
	br = b.browser()
	br.signIn("Amina@Example.org", pw)
	res = br.get("/office/")
	wantStatus(t, "home", res, http.StatusOK, "Name of amina@example.org", "Press officer", `action="/office/signout"`, `href="/office/profile"`)
}

func TestSignInGoesBackToALocalPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.Editor, pw)
	br := b.browser()
	res := br.get("/office/profile?x=1")
	wantSignIn(t, "profile before signing in", res)
	next, _ := url.Parse(res.location)
	if got := next.Query().Get("next"); got != "/office/profile?x=1" {
		t.Fatalf("next = %q", got)
	}
	res = br.get(res.location)
	if !strings.Contains(res.body, `name="next" value="/office/profile?x=1"`) {
		t.Fatalf("the form does not carry next:\n%s", res.body)
	}
	res = br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}, "next": {"/office/profile?x=1"}})
	if res.status != http.StatusSeeOther || res.location != "/office/profile?x=1" {
		t.Fatalf("after signing in: %d %q", res.status, res.location)
	}

	for next, want := range map[string]string{
		"/office/profile":                 "/office/profile",
		"https://evil.example/office/":    "/office/",
		"//evil.example/office/":          "/office/",
		"/\\evil.example/office/":         "/office/",
		"/office/../admin":                "/office/",
		"/office/%2e%2e/evil":             "/office/",
		"/elsewhere":                      "/office/",
		"javascript:alert(1)":             "/office/",
		"/office/signin?next=/office/":    "/office/",
		"/office/profile/../profile?a=b":  "/office/profile?a=b",
		"":                                "/office/",
		"/office//evil.example":           "/office/evil.example",
		"/office/\r\nSet-Cookie: x=y":     "/office/",
		"/office/profile#fragment":        "/office/profile",
		"/office/reset/abc?lang=fr&x=%22": "/office/reset/abc?lang=fr&x=%22",
	} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	db := setup(t).db
	for _, tc := range []struct {
		base   string
		secure bool
	}{{"https://press.example.org", true}, {"http://127.0.0.1:8080", false}} {
		h := New(Config{DB: db, BaseURL: tc.base})
		defer h.Close()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/office/signin", nil))
		c := sessionCookie(t, rec.Result().Cookies())
		if c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/office" {
			t.Errorf("base %s: cookie %s: Secure %v HttpOnly %v SameSite %v Path %q", tc.base, c.Name, c.Secure, c.HttpOnly, c.SameSite, c.Path)
		}
		raw := strings.Join(rec.Result().Header.Values("Set-Cookie"), "\n")
		if strings.Contains(raw, "Secure") != tc.secure || !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Lax") {
			t.Errorf("base %s: Set-Cookie %q", tc.base, raw)
		}
	}
}

func sessionCookie(t *testing.T, cookies []*http.Cookie) *http.Cookie {
	t.Helper()
	for _, c := range cookies {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", cookieName, cookies)
	return nil
}

// An attacker who planted a session cookie in a victim's browser before
// they signed in must not share the session after.
func TestSignInRenewsTheSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.get("/office/signin")
	before := br.cookie()
	if before == "" {
		t.Fatal("the sign-in page set no session cookie")
	}
	br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}})
	after := br.cookie()
	if after == "" || after == before {
		t.Fatalf("session token before %q, after %q: want a new one", before, after)
	}
	wantStatus(t, "home with the new cookie", br.get("/office/"), http.StatusOK, "Name of amina@example.org")
	wantSignIn(t, "home with the cookie from before signing in", b.withCookie(before).get("/office/"))
	// The table holds hashes: the cookie's value is not a key in it.
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE token = $1 OR token = $2`, before, after); n != 0 {
		t.Errorf("%d session tokens stored as they are", n)
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("amina@example.org", pw)
	old := br.cookie()
	sessions := count(t, b.db, `SELECT count(*) FROM sessions WHERE NOT ended`)
	res := br.post("/office/signout", nil)
	if res.status != http.StatusSeeOther || res.location != "/office/signin" {
		t.Fatalf("sign out: %d %q", res.status, res.location)
	}
	wantStatus(t, "the page after signing out", br.get("/office/signin"), http.StatusOK, "You have signed out.")
	wantSignIn(t, "home after signing out", br.get("/office/"))
	wantSignIn(t, "home with the cookie of the ended session", b.withCookie(old).get("/office/"))
	// The ended session is emptied in the table; the visitor's new one
	// holds no user.
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE NOT ended`); n > sessions {
		t.Errorf("%d sessions after signing out, %d before", n, sessions)
	}
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE position('user_id'::bytea in data) > 0`); n != 0 {
		t.Errorf("%d sessions still name a user", n)
	}
	// Signing out is a form like any other.
	br.signIn("amina@example.org", pw)
	wantStatus(t, "sign out without the form token", br.postRaw("/office/signout", nil), http.StatusForbidden)
	wantStatus(t, "still signed in", br.get("/office/"), http.StatusOK)
}

// A request that loaded the session before the sign-out and answers after
// it must not bring the session back: not in the table, and not through
// the cookie its answer sets. The request is held in its handler, the
// session loaded, until the sign-out has been answered.
func TestSignOutSticksWhileAnotherRequestRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("amina@example.org", pw)
	br.get("/office/profile")
	old := br.cookie()

	reached, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &heldBody{ReadCloser: r.Body, reached: reached, release: release}
		b.h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	form := url.Values{"csrf": {br.csrf}, "name": {"Amina"}}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/office/profile", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookieName, Value: old})
	late := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Error(err)
			close(late)
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		late <- res
	}()
	<-reached

	res := br.post("/office/signout", nil)
	if res.status != http.StatusSeeOther || res.location != "/office/signin" {
		t.Fatalf("sign out: %d %q", res.status, res.location)
	}
	close(release)
	lateRes := <-late
	if lateRes == nil {
		return
	}
	t.Logf("the request held across the sign-out answered %d", lateRes.StatusCode)

	wantSignIn(t, "home with the cookie of the ended session", b.withCookie(old).get("/office/"))
	for _, c := range lateRes.Cookies() {
		if c.Name == cookieName && c.Value != "" {
			wantSignIn(t, "home with the cookie the late answer set", b.withCookie(c.Value).get("/office/"))
		}
	}
	wantSignIn(t, "home in the browser that signed out", br.get("/office/"))
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE position('user_id'::bytea in data) > 0 AND expiry > now()`); n != 0 {
		t.Errorf("%d live sessions still name a user", n)
	}
}

// heldBody tells when its handler first reads it, the session loaded by
// then, and holds the read until released.
type heldBody struct {
	io.ReadCloser
	once             sync.Once
	reached, release chan struct{}
}

func (b *heldBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		close(b.reached)
		<-b.release
	})
	return b.ReadCloser.Read(p)
}

func TestDisablingAUserEndsTheirSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	br := b.browser()
	br.signIn("amina@example.org", pw)
	old := br.cookie()
	if _, err := users.Disable(context.Background(), b.db, "amina@example.org"); err != nil {
		t.Fatal(err)
	}
	res := br.get("/office/profile")
	wantSignIn(t, "profile after the user was disabled", res)
	wantStatus(t, "the sign-in page", br.get(res.location), http.StatusOK, "Your account has been disabled")
	wantSignIn(t, "the disabled session's cookie", b.withCookie(old).get("/office/"))
	if n := count(t, b.db, `SELECT count(*) FROM sessions WHERE position('user_id'::bytea in data) > 0`); n != 0 {
		t.Errorf("%d sessions still name a user", n)
	}
}

func TestChangingPasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user("amina@example.org", users.PressOfficer, pw)
	here, there := b.browser(), b.browser()
	here.signIn("amina@example.org", pw)
	there.signIn("amina@example.org", pw)
	before := here.cookie()

	here.get("/office/profile")
	const newPW = "a different horse, stapled"
	res := here.post("/office/profile/password", url.Values{"current_password": {"wrong current password"},
		"new_password": {newPW}, "new_password2": {newPW}})
	wantStatus(t, "wrong current password", res, http.StatusUnprocessableEntity, "This is not your current password.", `id="current_password-error"`)
	wantStatus(t, "the other session after a refused change", there.get("/office/"), http.StatusOK)

	res = here.post("/office/profile/password", url.Values{"current_password": {pw}, "new_password": {newPW}, "new_password2": {newPW}})
	if res.status != http.StatusSeeOther || res.location != "/office/profile" {
		t.Fatalf("change password: %d %q\n%s", res.status, res.location, res.body)
	}
	if here.cookie() == before {
		t.Error("this session kept its token across the change")
	}
	wantStatus(t, "this session after the change", here.get("/office/profile"), http.StatusOK, "Your password is changed.")
	res = there.get("/office/")
	wantSignIn(t, "the other session after the change", res)
	wantStatus(t, "the other browser's sign-in page", there.get(res.location), http.StatusOK, "your password was changed")

	other := b.browser()
	other.get("/office/signin")
	wantStatus(t, "the old password", other.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}}), http.StatusUnauthorized)
	other.signIn("amina@example.org", newPW)
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE actor = 'user:amina@example.org' AND action = 'user.password_change' AND client = '127.0.0.1'`); n != 1 {
		t.Errorf("audit entries for the change: %d", n)
	}
}

func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	t.Run("per account", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *Config) { c.Throttle = users.Throttle{PerAccount: 3} })
		b.user("amina@example.org", users.PressOfficer, pw)
		br := b.browser()
		br.get("/office/signin")
		for i := 0; i < 3; i++ {
			wantStatus(t, "a wrong password", br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {"guess number " + string(rune('a'+i))}}),
				http.StatusUnauthorized, "Wrong address or password.")
		}
		// Even the right password waits now, from any browser.
		other := b.browser()
		other.get("/office/signin")
		wantStatus(t, "the right password after three failures", other.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}}),
			http.StatusTooManyRequests, "Too many failed sign-ins. Try again in 15 minutes at most.")
		wantSignIn(t, "home", other.get("/office/"))
	})
	t.Run("per client", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *Config) {
			c.Throttle = users.Throttle{PerClient: 2}
			c.ClientIP = func(*http.Request) string { return "192.0.2.7" }
		})
		b.user("amina@example.org", users.PressOfficer, pw)
		br := b.browser()
		br.lang = "fr"
		br.get("/office/signin")
		for _, who := range []string{"a@example.org", "b@example.org"} {
			br.post("/office/signin", url.Values{"email": {who}, "password": {"a guess of some length"}})
		}
		wantStatus(t, "a third address from the same client", br.post("/office/signin", url.Values{"email": {"amina@example.org"}, "password": {pw}}),
			http.StatusTooManyRequests, "Trop de tentatives de connexion échouées.")
	})
}
