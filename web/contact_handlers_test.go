package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/communique/communique/contacts"
)

func TestContactsAPI(t *testing.T) {
	b := setup(t)
	var amina contacts.Contact
	status := b.api("POST", "/api/v1/contacts", `{
		"email": "Amina.Diallo@example.org", "name": "Amina Diallo", "organisation": "Le Quotidien",
		"country": "mr", "languages": ["fr", "ar"], "timezone": "Africa/Nouakchott", "verified": true,
		"regions": ["western-africa"], "countries": ["SN"], "topics": ["migration-governance"]}`, &amina)
	if status != http.StatusCreated || amina.ID == 0 || amina.Status != "active" || amina.Country != "MR" ||
		amina.ConsentSource != "api" || amina.ConsentIP != "127.0.0.1" || amina.ConsentAt == nil ||
		!slices.Equal(amina.Regions, []string{"western-africa"}) {
		t.Fatalf("create: %d %+v", status, amina)
	}

	var got contacts.Contact
	if status := b.api("GET", fmt.Sprint("/api/v1/contacts/", amina.ID), "", &got); status != 200 || got.Email != amina.Email {
		t.Errorf("get: %d %+v", status, got)
	}

	var e errorAnswer
	if status := b.api("POST", "/api/v1/contacts", `{"email": "amina.diallo@EXAMPLE.org"}`, &e); status != http.StatusConflict ||
		e.Details[0] != fmt.Sprintf("email: amina.diallo@EXAMPLE.org is taken by contact %d", amina.ID) {
		t.Errorf("duplicate address: %d %+v", status, e)
	}

	// Every bad field is named at once.
	e = errorAnswer{}
	status = b.api("POST", "/api/v1/contacts", `{"email": "not an address", "kind": "editor", "country": "XX",
		"languages": ["fr", "not_a_tag!"], "timezone": "Mars/Olympus", "status": "gone",
		"regions": ["atlantis"], "countries": ["ZZ"], "topics": ["foo"]}`, &e)
	want := []string{
		`email "not an address" is not a valid address`,
		`kind "editor" is not journalist, mission or press_officer`,
		`country "XX" is not an ISO 3166-1 alpha-2 code`,
		`language "not_a_tag!" is not a BCP 47 language tag`,
		`time zone "Mars/Olympus" is not an IANA time zone`,
		`region "atlantis" is unknown`,
		`country "ZZ" in countries is unknown`,
		`topic "foo" is unknown`,
		`status "gone" is not pending, active, unsubscribed, bounced or blocked`,
	}
	if status != http.StatusUnprocessableEntity || !slices.Equal(e.Details, want) {
		t.Errorf("invalid contact: %d\n got %q\nwant %q", status, e.Details, want)
	}
	e = errorAnswer{}
	if status := b.api("POST", "/api/v1/contacts", `{"email": "x@example.org", "emial": "typo"}`, &e); status != 422 ||
		!strings.Contains(e.Details[0], `"emial"`) {
		t.Errorf("unknown field: %d %+v", status, e)
	}

	// PUT replaces the fields and subscriptions.
	var upd contacts.Contact
	status = b.api("PUT", fmt.Sprint("/api/v1/contacts/", amina.ID), `{
		"email": "amina.diallo@example.org", "name": "Amina Diallo", "languages": ["fr"],
		"regions": ["africa"], "topics": ["climate-mobility"]}`, &upd)
	if status != 200 || upd.Email != "amina.diallo@example.org" || upd.Country != "" || len(upd.Countries) != 0 ||
		!slices.Equal(upd.Regions, []string{"africa"}) || upd.Status != "active" || upd.ConsentSource != "api" {
		t.Errorf("update: %d %+v", status, upd)
	}
	if status := b.api("PUT", "/api/v1/contacts/999999", `{"email": "x@example.org"}`, nil); status != http.StatusNotFound {
		t.Errorf("update of a missing contact: %d", status)
	}
	if status := b.api("GET", "/api/v1/contacts/abc", "", &e); status != 422 || e.Details[0] != `id: "abc" is not a contact id` {
		t.Errorf("bad id: %d %+v", status, e)
	}

	// Blocking suppresses the address; making it active again is refused
	// until the suppression is lifted.
	if status := b.api("PUT", fmt.Sprint("/api/v1/contacts/", amina.ID), `{"email": "amina.diallo@example.org", "status": "blocked"}`, &upd); status != 200 || upd.Status != "blocked" {
		t.Errorf("block: %d %+v", status, upd)
	}
	e = errorAnswer{}
	if status := b.api("PUT", fmt.Sprint("/api/v1/contacts/", amina.ID), `{"email": "amina.diallo@example.org", "status": "active"}`, &e); status != http.StatusConflict {
		t.Errorf("reactivating a suppressed address: %d %+v", status, e)
	}
	var lifted liftedSuppression
	if status := b.api("DELETE", "/api/v1/suppressions/Amina.Diallo@example.org", "", &lifted); status != 200 ||
		lifted.Lifted.Reason != "blocked" || lifted.ContactStatus != "active" {
		t.Errorf("lift: %d %+v", status, lifted)
	}

	if status := b.api("DELETE", fmt.Sprint("/api/v1/contacts/", amina.ID), "", nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status := b.api("GET", fmt.Sprint("/api/v1/contacts/", amina.ID), "", nil); status != http.StatusNotFound {
		t.Errorf("get after delete: %d", status)
	}
	if status := b.api("DELETE", fmt.Sprint("/api/v1/contacts/", amina.ID), "", nil); status != http.StatusNotFound {
		t.Errorf("delete twice: %d", status)
	}

	req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/contacts", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %v %v", resp.StatusCode, err)
	}
}

func TestContactsListPaging(t *testing.T) {
	b := setup(t)
	for i := range 5 {
		kind, region := "journalist", "europe"
		if i == 4 {
			kind = "mission"
		}
		if i%2 == 1 {
			region = "western-africa"
		}
		body := fmt.Sprintf(`{"email": "j%d@example.org", "name": "Journalist %d", "kind": %q, "country": "FR",
			"regions": [%q], "topics": ["climate-mobility"]}`, i, i, kind, region)
		if status := b.api("POST", "/api/v1/contacts", body, nil); status != http.StatusCreated {
			t.Fatalf("create %d: %d", i, status)
		}
	}
	emails := func(p contactPage) (out []string) {
		for _, c := range p.Contacts {
			out = append(out, c.Email)
		}
		return out
	}
	var p contactPage
	b.api("GET", "/api/v1/contacts?limit=2", "", &p)
	first := emails(p)
	next := func() {
		after := p.Next
		p = contactPage{}
		b.api("GET", "/api/v1/contacts?limit=2&after="+after, "", &p)
	}
	next()
	second := emails(p)
	next()
	third := emails(p)
	if !slices.Equal(first, []string{"j0@example.org", "j1@example.org"}) ||
		!slices.Equal(second, []string{"j2@example.org", "j3@example.org"}) ||
		!slices.Equal(third, []string{"j4@example.org"}) || p.Next != "" {
		t.Errorf("pages %v %v %v, last next %q", first, second, third, p.Next)
	}

	for query, want := range map[string][]string{
		"kind=mission":                      {"j4@example.org"},
		"region=western-africa":             {"j1@example.org", "j3@example.org"},
		"topic=climate-mobility&country=fr": {"j0@example.org", "j1@example.org", "j2@example.org", "j3@example.org", "j4@example.org"},
		"q=JOURNALIST%203":                  {"j3@example.org"},
		"q=%25":                             nil,
		"status=pending":                    nil,
	} {
		p = contactPage{}
		if status := b.api("GET", "/api/v1/contacts?"+query, "", &p); status != 200 || !slices.Equal(emails(p), want) {
			t.Errorf("%s: %d %v, want %v", query, status, emails(p), want)
		}
	}

	var e errorAnswer
	b.api("GET", "/api/v1/contacts?contry=FR&limit=x&region=atlantis&topic=foo&kind=editor", "", &e)
	want := []string{
		`contry: unknown parameter (known: kind, country, status, region, topic, q, limit, after)`,
		`limit: "x" is not a non-negative integer`,
	}
	if !slices.Equal(e.Details, want) {
		t.Errorf("bad query:\n got %q\nwant %q", e.Details, want)
	}
	e = errorAnswer{}
	b.api("GET", "/api/v1/contacts?region=atlantis&topic=foo&kind=editor", "", &e)
	want = []string{
		`kind "editor" is not journalist, mission or press_officer`,
		`region "atlantis" is unknown`,
		`topic "foo" is unknown`,
	}
	if !slices.Equal(e.Details, want) {
		t.Errorf("bad filter:\n got %q\nwant %q", e.Details, want)
	}
}

func TestSuppressionsAPI(t *testing.T) {
	b := setup(t)
	var c contacts.Contact
	b.api("POST", "/api/v1/contacts", `{"email": "Reporter@Example.org", "regions": ["europe"]}`, &c)

	var s contacts.Suppression
	if status := b.api("POST", "/api/v1/suppressions", `{"email": "reporter@example.org", "reason": "bounced", "detail": "550 5.1.1"}`, &s); status != http.StatusCreated ||
		s.Email != "reporter@example.org" || s.Reason != "bounced" {
		t.Errorf("suppress: %d %+v", status, s)
	}
	b.api("GET", fmt.Sprint("/api/v1/contacts/", c.ID), "", &c)
	if c.Status != "bounced" {
		t.Errorf("contact of a bounced address is %s", c.Status)
	}
	if status := b.api("POST", "/api/v1/suppressions", `{"email": "reporter@example.org", "reason": "blocked"}`, &s); status != http.StatusOK || s.Reason != "blocked" {
		t.Errorf("suppress again: %d %+v", status, s)
	}
	var e errorAnswer
	if status := b.api("POST", "/api/v1/suppressions", `{"email": "nope", "reason": "tired"}`, &e); status != 422 ||
		!slices.Equal(e.Details, []string{`email "nope" is not a valid address`, `reason "tired" is not unsubscribed, bounced, complained or blocked`}) {
		t.Errorf("invalid suppression: %d %+v", status, e)
	}
	for _, a := range []string{"a@example.net", "b@example.net", "c@example.net"} {
		b.api("POST", "/api/v1/suppressions", `{"email": "`+a+`", "reason": "complained"}`, nil)
	}
	var page contacts.SuppressionPage
	b.api("GET", "/api/v1/suppressions?reason=complained&limit=2", "", &page)
	if len(page.Suppressions) != 2 || page.Next != "b@example.net" {
		t.Errorf("first page %+v", page)
	}
	after := page.Next
	page = contacts.SuppressionPage{}
	b.api("GET", "/api/v1/suppressions?reason=complained&limit=2&after="+after, "", &page)
	if len(page.Suppressions) != 1 || page.Suppressions[0].Email != "c@example.net" || page.Next != "" {
		t.Errorf("second page %+v", page)
	}
	var lifted liftedSuppression
	if status := b.api("DELETE", "/api/v1/suppressions/REPORTER@example.org", "", &lifted); status != 200 || lifted.ContactStatus != "active" {
		t.Errorf("lift: %d %+v", status, lifted)
	}
	if status := b.api("DELETE", "/api/v1/suppressions/reporter@example.org", "", nil); status != http.StatusNotFound {
		t.Errorf("lift twice: %d", status)
	}
}
