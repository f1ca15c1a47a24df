package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/communique/communique/demo"
)

// TestDevPressOffice runs `communique dev` and signs in to the press
// office as each demo user the banner lists, with the password it prints.
func TestDevPressOffice(t *testing.T) {
	signIn := regexp.MustCompile(`Press office: (\S+)/office/signin\n`)
	_, whole, stop := runDev(t, regexp.MustCompile(`(?s)^.*Stop with Ctrl-C\.`))
	banner := whole[0]
	m := signIn.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner has no sign-in address:\n%s", banner)
	}
	base := m[1]
	if len(demo.Users) != 4 {
		t.Fatalf("%d demo users, want one per role", len(demo.Users))
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for _, u := range demo.Users {
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(u.Email) + ` +(\S+) +` + string(u.Role) + `$`).FindStringSubmatch(banner)
		if line == nil {
			t.Fatalf("the banner does not list %s with a password and the role %s:\n%s", u.Email, u.Role, banner)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		page := fetchPage(t, c, base+"/office/signin")
		tok := csrf.FindStringSubmatch(page)
		if tok == nil {
			t.Fatalf("sign-in page without a form token:\n%s", page)
		}
		res, err := c.PostForm(base+"/office/signin", url.Values{"csrf": {tok[1]}, "email": {u.Email}, "password": {line[1]}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/office/" || !strings.Contains(string(body), u.Name) ||
			!strings.Contains(string(body), `<html lang="`+u.Language+`"`) {
			t.Errorf("signing in as %s: %d at %s\n%s", u.Email, res.StatusCode, res.Request.URL, body)
		}
	}
	// The office sits beside the rest of the service.
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/healthz next to the office: %v %v", err, res)
	}
	if err := stop(); err != nil {
		t.Fatalf("dev after the signal: %v", err)
	}
}

func fetchPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, res.StatusCode, b)
	}
	return string(b)
}
