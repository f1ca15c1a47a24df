package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/communique/communique/app"
)

// In dev, the newsroom has "/" and the capture mailbox stays at
// /dev/mailbox; the API and the public pages are still served beside it.
func TestNewsroomTakesTheRootBesideTheMailbox(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.Dev, c.SMTPURL = true, "" })
	get := func(path string) (int, string) {
		t.Helper()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(b.app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Latest releases") || !strings.Contains(body, "Media Office") {
		t.Fatalf("/: %d\n%s", code, body)
	}
	if code, _ := get("/dev/mailbox"); code != 200 {
		t.Fatalf("/dev/mailbox: %d", code)
	}
	for path, want := range map[string]int{"/feeds/en.atom": 200, "/sitemap.xml": 200, "/releases/nothing-here": 404,
		"/subscribe": 200, "/healthz": 200, "/newsroom/newsroom.css": 200} {
		if code, _ := get(path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}
