package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/communique/communique/contacts"
)

// Contact fields are bounded and hold no NUL, invalid UTF-8 or control
// characters, on create and update: each refusal is a 422 naming the
// field, never a 500. Line breaks in a name become a space.
func TestContactFieldsAPI(t *testing.T) {
	b := setup(t)
	var c contacts.Contact
	if s := b.api("POST", "/api/v1/contacts", `{"email": "jane@example.org", "name": "Jane\r\nDoe", "title": "Editor\tin chief"}`, &c); s != http.StatusCreated ||
		c.Name != "Jane Doe" || c.Title != "Editor in chief" {
		t.Fatalf("create: %d %+v", s, c)
	}
	for _, tc := range []struct{ body, detail string }{
		{`{"email": "a@example.org", "name": "` + strings.Repeat("é", 201) + `"}`, "name is 201 characters long, more than 200"},
		{`{"email": "a@example.org", "organisation": "` + strings.Repeat("o", 201) + `"}`, "organisation is 201 characters long, more than 200"},
		{`{"email": "a@example.org", "phone": "` + strings.Repeat("1", 51) + `"}`, "phone is 51 characters long, more than 50"},
		{`{"email": "a@example.org", "name": "a\u0000b"}`, "name contains a NUL byte"},
		{`{"email": "a@example.org", "consent_source": "form\u0000"}`, "consent_source contains a NUL byte"},
		{`{"email": "a@example.org", "consent_ip": "\u0000"}`, "consent_ip contains a NUL byte"},
		{`{"email": "a@example.org", "status": "active\u0000"}`, "status contains a NUL byte"},
		{`{"email": "a@example.org", "timezone": "UTC\u0000"}`, "timezone contains a NUL byte"},
		{`{"email": "a\u0000@example.org"}`, "email contains a NUL byte"},
		{`{"email": "a@example.org", "regions": ["europe\u0000"]}`, "regions contains a NUL byte"},
		{`{"email": "a@example.org", "name": "bell\u0007"}`, "name contains the control character U+0007"},
		{`{"email": "a@example.org", "name": "` + "\xff" + `"}`, "name: not valid UTF-8 text"},
		{`{"email": "a@example.org", "topics": ["` + "\xc3\x28" + `"]}`, "topics: not valid UTF-8 text"},
		{`{"email": "a@example.org", "languages": ["fr","en","es","ar","de","it","pt","ru","zh","ja","ko"]}`, "languages lists 11 languages, more than 10"},
	} {
		for _, m := range []struct{ method, path string }{{"POST", "/api/v1/contacts"}, {"PUT", fmt.Sprint("/api/v1/contacts/", c.ID)}} {
			var e errorAnswer
			if s := b.api(m.method, m.path, tc.body, &e); s != http.StatusUnprocessableEntity || !slices.Contains(e.Details, tc.detail) {
				t.Errorf("%s %.60q: %d %q, want %q", m.method, tc.body, s, e.Details, tc.detail)
			}
		}
	}
	var n int
	if err := b.db.Get(&n, `SELECT count(*) FROM contacts`); err != nil || n != 1 {
		t.Errorf("%d contacts (%v)", n, err)
	}
}

// Every list refuses a limit above its maximum rather than serve fewer
// rows than asked.
func TestListLimitAboveMaximum(t *testing.T) {
	b := setup(t)
	for _, path := range []string{"/api/v1/contacts", "/api/v1/suppressions", "/api/v1/audit", "/api/v1/releases/1/deliveries"} {
		var e errorAnswer
		if s := b.api("GET", path+"?limit=1001", "", &e); s != http.StatusUnprocessableEntity ||
			!slices.Equal(e.Details, []string{"limit: 1001 is more than the maximum, 1000"}) {
			t.Errorf("%s: %d %q", path, s, e.Details)
		}
	}
	for _, path := range []string{"/api/v1/contacts", "/api/v1/suppressions", "/api/v1/audit"} {
		if s := b.api("GET", path+"?limit=1000", "", nil); s != http.StatusOK {
			t.Errorf("%s?limit=1000: %d", path, s)
		}
	}
}
