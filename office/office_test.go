package office

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/users"
)

// bundle is the press office under test: its handler on a test server,
// a database of its own, and the SMTP server its mail goes to.
type bundle struct {
	t    testing.TB
	db   *sqlx.DB
	h    *Handler
	url  string
	mail *mailbox.Server
}

func setup(t testing.TB, configure ...func(*Config)) *bundle {
	t.Helper()
	db, dsn := testDB(t)
	mb := mailbox.New(mailbox.Options{})
	addr, err := mb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	targets, err := mailer.ParseTargets("smtp://" + addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	startDispatcher(t, db, dsn, mailer.NewPool(targets[0], "example.org"))
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg := Config{DB: db, Logger: slog.New(slog.DiscardHandler), BaseURL: base,
		FromName: "Media Office", FromEmail: "media@example.org", SessionCleanup: time.Hour}
	for _, c := range configure {
		c(&cfg)
	}
	h := New(cfg)
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return &bundle{t: t, db: db, h: h, url: base, mail: mb}
}

// user creates an active user with a password.
func (b *bundle) user(email string, role users.Role, password string) *users.User {
	b.t.Helper()
	u, err := users.Create(context.Background(), b.db, users.NewUser{Email: email, Name: "Name of " + email, Role: role, Password: password})
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// browser is one browser: its own cookies, redirects not followed so
// that tests see them.
type browser struct {
	t    testing.TB
	b    *bundle
	c    *http.Client
	jar  *cookiejar.Jar
	csrf string // the form token of the last page fetched
	lang string // Accept-Language
}

func (b *bundle) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: b.t, b: b, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a test looks at.
type response struct {
	status   int
	body     string
	header   http.Header
	location string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (br *browser) do(req *http.Request) response {
	br.t.Helper()
	if br.lang != "" {
		req.Header.Set("Accept-Language", br.lang)
	}
	res, err := br.c.Do(req)
	if err != nil {
		br.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		br.t.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		br.csrf = m[1]
	}
	return response{status: res.StatusCode, body: string(body), header: res.Header, location: res.Header.Get("Location")}
}

func (br *browser) get(path string) response {
	br.t.Helper()
	req, err := http.NewRequest(http.MethodGet, br.b.url+path, nil)
	if err != nil {
		br.t.Fatal(err)
	}
	return br.do(req)
}

// postRaw posts a form as is.
func (br *browser) postRaw(path string, form url.Values, header ...string) response {
	br.t.Helper()
	req, err := http.NewRequest(http.MethodPost, br.b.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		br.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return br.do(req)
}

// post posts a form with the token of the last page, as a browser would.
func (br *browser) post(path string, form url.Values) response {
	br.t.Helper()
	if br.csrf == "" {
		br.t.Fatalf("POST %s: no form token seen yet", path)
	}
	f := url.Values{"csrf": {br.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return br.postRaw(path, f)
}

// signIn signs in through the form and checks it worked.
func (br *browser) signIn(email, password string) {
	br.t.Helper()
	br.get("/office/signin")
	res := br.post("/office/signin", url.Values{"email": {email}, "password": {password}})
	if res.status != http.StatusSeeOther || res.location != "/office/" {
		br.t.Fatalf("sign in as %s: %d %s\n%s", email, res.status, res.location, res.body)
	}
	br.get("/office/") // as a browser would, and for the page's form token
}

// cookie is the browser's session cookie, or "".
func (br *browser) cookie() string {
	u, _ := url.Parse(br.b.url + "/office/")
	for _, c := range br.jar.Cookies(u) {
		if c.Name == cookieName {
			return c.Value
		}
	}
	return ""
}

// withCookie returns a new browser holding only the session cookie v.
func (b *bundle) withCookie(v string) *browser {
	br := b.browser()
	u, _ := url.Parse(b.url + "/office/")
	br.jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: v, Path: "/office"}})
	return br
}

// wantSignIn checks that res sends the browser to the sign-in page.
func wantSignIn(t *testing.T, what string, res response) {
	t.Helper()
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/office/signin") {
		t.Fatalf("%s: %d %q, want a redirect to the sign-in page", what, res.status, res.location)
	}
}

func wantStatus(t *testing.T, what string, res response, status int, texts ...string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.status, status, res.body)
	}
	for _, s := range texts {
		if !strings.Contains(res.body, s) {
			t.Errorf("%s: the page does not say %q\n%s", what, s, res.body)
		}
	}
}

func count(t *testing.T, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}
