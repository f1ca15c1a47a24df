package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Bytes no person can type, in any field of the public forms, are a 422
// naming the field, next to it, in the page's language; nothing is
// written.
func TestPublicFormsNameFieldsWithBadBytes(t *testing.T) {
	b := setup(t)
	b.restart(b.trusting("127.0.0.1/32"))
	var c struct{ ID int64 }
	b.api("POST", "/api/v1/contacts", `{"email": "kept@example.org", "name": "Kept", "regions": ["europe"]}`, &c)
	prefs := "/preferences/" + b.signer.Token("preferences", c.ID, time.Now().Add(time.Hour)) + "?lang=fr"

	fields := []struct{ field, id, label string }{
		{"email", "email", "Adresse électronique"},
		{"name", "name", "Nom"},
		{"organisation", "organisation", "Média"},
		{"timezone", "timezone", "Fuseau horaire"},
		{"region", "regions", "Régions"},
		{"country", "countries", "Pays"},
		{"topic", "topics", "Thèmes"},
		{"lang1", "languages", "Langues"},
		{"lang3", "languages", "Langues"},
	}
	client := 0
	for _, form := range []string{"/subscribe?lang=fr", prefs} {
		browser := b.browser()
		_, page, _ := b.fetch(browser, "GET", form, nil)
		csrf := csrfOf(t, page)
		for _, f := range fields {
			if f.field == "email" && form == prefs {
				continue
			}
			bads := []string{"a\x00b", "a\xffb"}
			if f.field == "name" {
				bads = append(bads, "a\u0085b", "a\tb")
			}
			for _, bad := range bads {
				client++
				v := subscription(csrf, fmt.Sprintf("new%d@example.org", client), f.field, bad)
				status, page, _ := b.fetch(browser, "POST", form, v, "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", client))
				if status != http.StatusUnprocessableEntity ||
					!strings.Contains(page, fmt.Sprintf(`<a href="#%s">%s</a>`, f.id, f.label)) ||
					!strings.Contains(page, fmt.Sprintf(`id="%s-error"`, f.id)) {
					t.Errorf("%s %s=%q: %d\n%s", form, f.field, bad, status, page)
				}
			}
		}
	}
	b.settle()
	var n int
	if err := b.db.Get(&n, `SELECT count(*) FROM contacts WHERE email LIKE 'new%'`); err != nil || n != 0 {
		t.Errorf("%d contacts written (%v)", n, err)
	}
	if c := b.contact("kept@example.org"); c.Status != "active" {
		t.Errorf("kept: %+v", c)
	}
	var name string
	if b.db.Get(&name, `SELECT name FROM contacts WHERE id = $1`, c.ID); name != "Kept" {
		t.Errorf("preferences written: name %q", name)
	}
}

// Free text is bounded in characters, not bytes, and the bound is named.
func TestPublicFormsBoundFreeText(t *testing.T) {
	b := setup(t)
	b.restart(b.trusting("127.0.0.1/32"))
	longAddr := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 61) + "." + strings.Repeat("c", 61) + "." + strings.Repeat("d", 62) + ".org"
	for i, tc := range []struct {
		field, value string
		status       int
		want         string
	}{
		{"name", strings.Repeat("n", 201), 422, `<p class="field-error" id="name-error">Use at most <bdi dir="ltr">200</bdi> characters.</p>`},
		{"organisation", strings.Repeat("o", 201), 422, `<a href="#organisation">Media outlet</a>: Use at most <bdi dir="ltr">200</bdi> characters.`},
		{"email", longAddr, 422, `<p class="field-error" id="email-error">Use at most <bdi dir="ltr">254</bdi> characters.</p>`},
		{"name", strings.Repeat("é", 200), 200, "Check your inbox"},
		{"organisation", strings.Repeat("ع", 200), 200, "Check your inbox"},
	} {
		browser, csrf := b.subscribeForm()
		status, page, _ := b.fetch(browser, "POST", "/subscribe", subscription(csrf, fmt.Sprintf("len%d@example.org", i), tc.field, tc.value),
			"X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i+1))
		if status != tc.status || !strings.Contains(page, tc.want) {
			t.Errorf("%s of %d characters: %d, want %d with %q\n%s", tc.field, len([]rune(tc.value)), status, tc.status, tc.want, page)
		}
	}
	if len(longAddr) != 255 {
		t.Fatalf("the long address has %d characters", len(longAddr))
	}
	b.settle()
	var name, org string
	b.db.Get(&name, `SELECT name FROM contacts WHERE email = 'len3@example.org'`)
	b.db.Get(&org, `SELECT organisation FROM contacts WHERE email = 'len4@example.org'`)
	if name != strings.Repeat("é", 200) || org != strings.Repeat("ع", 200) {
		t.Errorf("stored: %q, %q", name, org)
	}
}

// The confirm and unsubscribe forms carry no field but their token: any
// body at all is a 4xx, never a server error.
func TestTokenFormsTakeAnyBody(t *testing.T) {
	b := setup(t)
	var c struct{ ID int64 }
	b.api("POST", "/api/v1/contacts", `{"email": "any@example.org", "regions": ["europe"], "status": "pending"}`, &c)
	for _, path := range []string{
		"/confirm/" + b.signer.Token("confirm", c.ID, time.Now().Add(time.Hour)),
		"/unsubscribe/" + b.signer.Token("unsubscribe", c.ID, time.Time{}) + "/preferences",
	} {
		for _, body := range []string{"csrf=a%00b", "csrf=%ff", "%zz", strings.Repeat("x", maxFormBody+1)} {
			status, _, _ := b.fetch(b.browser(), "POST", path, url.Values{"raw": {body}})
			if status >= 500 {
				t.Errorf("POST %s with %.20q: %d", path, body, status)
			}
		}
	}
}
