package office

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// postFile posts the import form with a file, as a browser would.
func (br *browser) postFile(path string, fields url.Values, name string, content []byte) response {
	br.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", br.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, br.b.url+path, &body)
	if err != nil {
		br.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return br.do(req)
}

func (b *bundle) contactID(email string) int64 {
	b.t.Helper()
	c, err := contacts.GetByEmail(context.Background(), b.db, email)
	if err != nil {
		b.t.Fatal(err)
	}
	return c.ID
}

func TestContactsSearchEditAndBlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.importContacts()
	b.user("viewer@example.org", users.Viewer, pw)
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("admin@example.org", users.Admin, pw)
	pierre := b.contactID("pierre@example.com")
	path := fmt.Sprintf("/office/contacts/%d", pierre)

	viewer := b.browser()
	viewer.signIn("viewer@example.org", pw)
	wantStatus(t, "the list", viewer.get("/office/contacts"), http.StatusOK, `id="contacts-link"`, "awa@example.com", "mission.sn@example.org", "press@example.org")
	missions := viewer.get("/office/contacts?kind=mission")
	wantStatus(t, "missions by kind", missions, http.StatusOK, "mission.mr@example.org", "mission.sn@example.org")
	if strings.Contains(missions.body, "awa@example.com") {
		t.Error("the kind filter lets journalists through")
	}
	found := viewer.get("/office/contacts?q=COURRIER")
	wantStatus(t, "a search", found, http.StatusOK, "pierre@example.com")
	if strings.Contains(found.body, "john@example.com") {
		t.Error("the search finds what it should not")
	}
	wantStatus(t, "bad filters", viewer.get("/office/contacts?kind=alien&country=ZZ&status=asleep"), http.StatusBadRequest,
		`id="kind-error"`, `id="country-error"`, `id="status-error"`, "Enter a two-letter country code")
	for _, after := range []string{"-1", "x"} {
		wantStatus(t, "a bad page "+after, viewer.get("/office/contacts?after="+after), http.StatusBadRequest,
			`id="filter-form"`, `<a href="#after">Page</a>: This is not one of the choices offered.`, "awa@example.com")
	}
	wantStatus(t, "the missions page", viewer.get("/office/missions"), http.StatusOK, "Mauritania", "Senegal", "mission.mr@example.org")
	wantStatus(t, "a contact", viewer.get(path), http.StatusOK, "pierre@example.com")
	wantStatus(t, "an unknown contact", viewer.get("/office/contacts/99999"), http.StatusNotFound, "There is no such contact.")
	// A viewer reads; changing is a press officer's, blocking an administrator's.
	wantStatus(t, "edit by a viewer", viewer.post(path, url.Values{"email": {"pierre@example.com"}}), http.StatusForbidden, "This needs the Press officer role")
	wantStatus(t, "import by a viewer", viewer.get("/office/contacts/import"), http.StatusForbidden, "This needs the Press officer role")
	export := viewer.get("/office/contacts/export")
	if export.status != http.StatusOK || !strings.HasPrefix(export.body, "email,") || !strings.Contains(export.body, "pierre@example.com") {
		t.Errorf("export: %d\n%s", export.status, export.body)
	}

	po := b.browser()
	po.signIn("po@example.org", pw)
	page := po.get(path)
	wantStatus(t, "the form", page, http.StatusOK, `id="contact-form"`, `value="Pierre Martin"`)
	if strings.Contains(page.body, `id="block-form"`) {
		t.Error("a press officer is offered to block")
	}
	form := url.Values{"email": {"pierre@example.com"}, "name": {"Pierre Martin-Durand"}, "organisation": {"Le Courrier"}, "kind": {"journalist"},
		"country": {"ZZ"}, "languages": {"fr, en"}, "timezone": {"Mars/Olympus"}, "countries": {"MR, QQ"}}
	res := po.post(path, form)
	wantStatus(t, "a bad contact", res, http.StatusUnprocessableEntity, `id="country-error"`, `id="timezone-error"`, `id="countries-error"`, `value="Mars/Olympus"`)
	if c, _ := contacts.Get(ctx, b.db, pierre); c.Name != "Pierre Martin" {
		t.Fatalf("a refused form changed the contact: %+v", c)
	}
	form.Set("country", "fr")
	form.Set("timezone", "Europe/Paris")
	form.Set("countries", "MR, SN")
	wantStatus(t, "a good contact", po.post(path, form), http.StatusSeeOther)
	c, err := contacts.Get(ctx, b.db, pierre)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Pierre Martin-Durand" || c.Country != "FR" || strings.Join(c.Countries, ",") != "MR,SN" || strings.Join(c.Languages, ",") != "fr,en" ||
		c.Status != "active" || c.ConsentSource == "" {
		t.Errorf("saved: %+v", c)
	}
	wantStatus(t, "block by a press officer", po.post(path+"/block", url.Values{"confirm": {"on"}}), http.StatusForbidden, "This needs the Administrator role")

	admin := b.browser()
	admin.signIn("admin@example.org", pw)
	wantStatus(t, "the page an administrator sees", admin.get(path), http.StatusOK, `id="block-form"`)
	wantStatus(t, "block unconfirmed", admin.post(path+"/block", url.Values{"detail": {"Asked us to stop"}}), http.StatusUnprocessableEntity, `id="confirm-block-error"`)
	wantStatus(t, "block", admin.post(path+"/block", url.Values{"detail": {"Asked us to stop"}, "confirm": {"on"}}), http.StatusSeeOther)
	if c, _ := contacts.Get(ctx, b.db, pierre); c.Status != "blocked" {
		t.Errorf("blocked contact's status: %s", c.Status)
	}
	if n := count(t, b.db, `SELECT count(*) FROM suppressions WHERE email = 'pierre@example.com' AND reason = 'blocked' AND detail = 'Asked us to stop'`); n != 1 {
		t.Error("the block is not on the suppression list")
	}

	// The suppression list: everyone reads it, an administrator lifts.
	wantStatus(t, "suppressions for a press officer", po.get("/office/suppressions?reason=blocked"), http.StatusOK, "pierre@example.com", "Asked us to stop")
	if strings.Contains(po.get("/office/suppressions").body, `id="lift-0"`) {
		t.Error("a press officer is offered to lift")
	}
	wantStatus(t, "lift by a press officer", po.post("/office/suppressions/lift", url.Values{"email": {"pierre@example.com"}}), http.StatusForbidden, "This needs the Administrator role")
	wantStatus(t, "a bad reason", admin.get("/office/suppressions?reason=bored"), http.StatusBadRequest, `id="reason-error"`)
	wantStatus(t, "suppressions for an administrator", admin.get("/office/suppressions"), http.StatusOK, `id="lift-0"`)
	wantStatus(t, "lift", admin.post("/office/suppressions/lift", url.Values{"email": {"pierre@example.com"}}), http.StatusSeeOther)
	if c, _ := contacts.Get(ctx, b.db, pierre); c.Status != "active" {
		t.Errorf("after the lift: %s", c.Status)
	}
	wantStatus(t, "the list after", admin.get("/office/suppressions"), http.StatusOK, "pierre@example.com is no longer suppressed.", "No address matches.")
	wantStatus(t, "lift again", admin.post("/office/suppressions/lift", url.Values{"email": {"pierre@example.com"}}), http.StatusNotFound)

	var actions []string
	entries, err := releases.Audit(ctx, b.db, releases.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if got := strings.Join(actions, "; "); got != "user:po@example.org contact.update; user:admin@example.org contact.block; user:admin@example.org suppression.lift" {
		t.Errorf("audit: %s", got)
	}
}

func TestContactsImportReportsEachBadLine(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	po := b.browser()
	po.signIn("po@example.org", pw)
	wantStatus(t, "the form", po.get("/office/contacts/import"), http.StatusOK, `enctype="multipart/form-data"`)
	before := count(t, b.db, `SELECT count(*) FROM contacts`)

	file := []byte("email,name,kind,country,languages\n" +
		"new.one@example.net,New One,journalist,FR,fr\n" +
		"not an address,Bad,journalist,FR,fr\n" +
		"mission.xx@example.org,A mission,mission,,fr\n" +
		"john@example.com,John Smith,journalist,GB,en\n")
	res := po.postFile("/office/contacts/import", nil, "contacts.csv", file)
	wantStatus(t, "a file with bad lines", res, http.StatusUnprocessableEntity, "Nothing was imported",
		`<tr id="line-3"><th scope="row">3</th>`, `<tr id="line-4"><th scope="row">4</th>`, "country is required for a mission", "Added: 0. Updated: 0. Lines refused: 2.")
	if strings.Contains(res.body, `id="line-2"`) || strings.Contains(res.body, `id="line-5"`) {
		t.Error("good lines are reported as bad")
	}
	if n := count(t, b.db, `SELECT count(*) FROM contacts`); n != before {
		t.Fatalf("%d contacts written from a refused file", n-before)
	}

	res = po.postFile("/office/contacts/import", url.Values{"skip_invalid": {"on"}}, "contacts.csv", file)
	wantStatus(t, "bad lines left out", res, http.StatusOK, "Imported. Added: 1. Updated: 1. Left out: 2.", `id="line-3"`)
	if n := count(t, b.db, `SELECT count(*) FROM contacts`); n != before+1 {
		t.Errorf("%d contacts added, want 1", n-before)
	}
	wantStatus(t, "an unknown column", po.postFile("/office/contacts/import", nil, "c.csv", []byte("email,shoe_size\na@example.net,42\n")),
		http.StatusUnprocessableEntity, `id="line-1"`, "shoe_size")
	// One import at a time: another waits its turn, told so, nothing written.
	b.h.imports <- struct{}{}
	busy := po.postFile("/office/contacts/import", url.Values{"skip_invalid": {"on"}}, "contacts.csv", []byte("email\nlater@example.net\n"))
	<-b.h.imports
	wantStatus(t, "a second import", busy, http.StatusTooManyRequests, "Another import is running")
	if busy.header.Get("Retry-After") == "" || count(t, b.db, `SELECT count(*) FROM contacts WHERE email = 'later@example.net'`) != 0 {
		t.Error("a refused import wrote or gave no Retry-After")
	}
	wantStatus(t, "no file", po.postFile("/office/contacts/import", nil, "", nil), http.StatusUnprocessableEntity, `id="file-error"`, "Choose a CSV file.")
	big := bytes.Repeat([]byte("x"), maxUpload+1)
	wantStatus(t, "too large", po.postFile("/office/contacts/import", nil, "big.csv", big), http.StatusRequestEntityTooLarge, "larger than 32 MiB")
	// An upload anywhere else is refused as any oversized form is.
	wantStatus(t, "a file elsewhere", po.postFile("/office/profile", nil, "c.csv", file), http.StatusForbidden)
}
