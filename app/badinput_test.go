package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/communique/communique/events/natstest"
)

type apiError struct {
	Error   string   `json:"error"`
	Details []string `json:"details"`
}

func TestBadInputIsRefusedAndNothingWritten(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.Embedded(t))
	seedTopics(t, b)
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(contactsCSV), nil); st != 200 {
		t.Fatalf("import: %d", st)
	}
	valid := releaseJSON
	cases := []struct {
		name, body string
		status     int
		mention    []string // each must appear in the error or its details
	}{
		{"empty body", ``, 422, []string{"empty"}},
		{"not JSON", `{"slug": `, 422, []string{"body"}},
		{"unknown field", strings.Replace(valid, `"slug"`, `"slugg"`, 1), 422, []string{`"slugg"`}},
		{"wrong type", strings.Replace(valid, `"regions": ["western-africa"]`, `"regions": "western-africa"`, 1), 422, []string{"regions"}},
		{"bad slug", strings.Replace(valid, `"office-agreement"`, `"Office Agreement!"`, 1), 422, []string{"slug"}},
		{"no title", strings.Replace(valid, `"title": "Accord pour un bureau à Nouakchott"`, `"title": ""`, 1), 422, []string{"translations.fr.title"}},
		{"bad language", strings.Replace(valid, `"original_language": "fr"`, `"original_language": "français!"`, 1), 422, []string{"original_language"}},
		{"original without translation", strings.Replace(valid, `"original_language": "fr"`, `"original_language": "es"`, 1), 422, []string{"original_language"}},
		{"unknown region", strings.Replace(valid, `"western-africa"`, `"atlantis"`, 1), 422, []string{"atlantis"}},
		{"unknown country", strings.Replace(valid, `["MR"]`, `["XX"]`, 1), 422, []string{"XX"}},
		{"unknown topic", strings.Replace(valid, `["migration-governance"]`, `["gardening"]`, 1), 422, []string{"gardening"}},
		{"unknown press contact", strings.Replace(valid, `"desk@example.org"`, `"nobody@example.org"`, 1), 422, []string{"press_contacts[1]", "nobody@example.org"}},
		{"no press contact", strings.Replace(valid, `["press@example.org", "desk@example.org"]`, `[]`, 1), 422, []string{"press_contacts"}},
		{"bad embargo audience", strings.Replace(valid, `"press_contacts"`, `"embargo_audience": {"missions": "some"}, "press_contacts"`, 1), 422, []string{"embargo_audience.missions"}},
	}
	for _, c := range cases {
		var e apiError
		st := b.do("POST", "/api/v1/releases", "application/json", []byte(c.body), &e)
		if st != c.status {
			t.Errorf("%s: status %d, want %d (%+v)", c.name, st, c.status, e)
			continue
		}
		all := e.Error + " " + strings.Join(e.Details, " ")
		for _, m := range c.mention {
			if !strings.Contains(all, m) {
				t.Errorf("%s: error %q does not name %q", c.name, all, m)
			}
		}
	}
	if n := b.count(`SELECT count(*) FROM releases`) + b.count(`SELECT count(*) FROM release_translations`) +
		b.count(`SELECT count(*) FROM release_press_contacts`); n != 0 {
		t.Fatalf("refused releases left %d rows behind", n)
	}

	// A duplicate slug is a conflict.
	var ok struct{ ID int64 }
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(valid), &ok); st != 201 {
		t.Fatalf("valid release: %d", st)
	}
	var e apiError
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(valid), &e); st != 409 || !strings.Contains(strings.Join(e.Details, " "), "slug") {
		t.Fatalf("duplicate slug: %d %+v", st, e)
	}

	// Publish and report: bad and unknown ids.
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/v1/releases/abc/publish", 422},
		{"POST", "/api/v1/releases/-1/publish", 422},
		{"POST", "/api/v1/releases/999999/publish", 404},
		{"GET", "/api/v1/releases/abc/report", 422},
		{"GET", "/api/v1/releases/999999/report", 404},
		{"GET", "/api/v1/releases/999999", 404},
	} {
		var e apiError
		if st := b.do(c.method, c.path, "", nil, &e); st != c.status || e.Error == "" {
			t.Errorf("%s %s: %d %+v, want %d with a message", c.method, c.path, st, e, c.status)
		}
	}
	if n := b.count(`SELECT count(*) FROM outbox`) + b.count(`SELECT count(*) FROM dispatches`); n != 0 {
		t.Fatalf("failed publishes left %d rows", n)
	}

	// Without the token, nothing.
	req, _ := http.NewRequest("POST", b.app.URL()+"/api/v1/releases", strings.NewReader(valid))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}

	// A CSV import with a bad row writes nothing and names the line.
	before := b.count(`SELECT count(*) FROM contacts`)
	bad := "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n" +
		"new.one@example.org,New One,journalist,Outlet,FR,fr,Europe/Paris,false,,,,,\n" +
		"not-an-address,Bad,journalist,Outlet,FR,fr,Europe/Paris,false,,,,,\n"
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(bad), &e); st != 422 || !strings.Contains(strings.Join(e.Details, " "), "line 3") {
		t.Fatalf("bad CSV: %d %+v", st, e)
	}
	if after := b.count(`SELECT count(*) FROM contacts`); after != before {
		t.Fatalf("refused import wrote %d contacts", after-before)
	}
}
