package contacts_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

// setup returns a database with the built-in regions and the topics the
// test files use.
func setup(t testing.TB) (context.Context, *sqlx.DB) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"migration-governance", "climate-mobility"} {
		if err := taxonomy.CreateTopic(ctx, db, taxonomy.Topic{Slug: slug, Names: taxonomy.Names{"en": slug}}); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, db
}

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func countContacts(t testing.TB, db *sqlx.DB) (n int) {
	t.Helper()
	if err := db.Get(&n, `SELECT count(*) FROM contacts`); err != nil {
		t.Fatal(err)
	}
	return n
}

func getByEmail(t testing.TB, ctx context.Context, db *sqlx.DB, email string) *contacts.Contact {
	t.Helper()
	c, err := contacts.GetByEmail(ctx, db, email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return c
}

func TestImportGoodFile(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	res, err := contacts.Import(ctx, db, open(t, "good.csv"), contacts.ImportOptions{})
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, res)
	}
	if res.Created != 5 || res.Updated != 0 || res.Skipped != 0 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v", res)
	}

	amina := getByEmail(t, ctx, db, "AMINA.DIALLO@example.org")
	want := contacts.Contact{
		ID: amina.ID, Email: "amina.diallo@example.org", Kind: "journalist", Name: "Amina Diallo",
		Organisation: "Le Quotidien, Nouakchott", Country: "MR", Languages: []string{"fr", "ar", "en"},
		Timezone: "Africa/Nouakchott", Verified: true, Status: "active", Phone: "+222 45 00 00 00",
		Title: "Rédactrice en chef", Regions: []string{"sub-saharan-africa", "western-africa"},
		Countries: []string{"MR", "SN"}, Topics: []string{"migration-governance"},
		ConsentSource: "import",
	}
	assertContact(t, amina, &want)
	if amina.ConsentAt == nil || amina.CreatedAt.IsZero() {
		t.Errorf("consent at %v, created at %v", amina.ConsentAt, amina.CreatedAt)
	}

	idn := getByEmail(t, ctx, db, "rédaction@exemple.example.org")
	if idn.Kind != "journalist" || idn.Organisation != "Journal Exemple, \"Genève\" Bureau de Genève" ||
		!slices.Equal(idn.Languages, []string{"fr-CH", "en"}) || idn.Timezone != "Europe/Zurich" || idn.Verified {
		t.Errorf("IDN contact: %+v", idn)
	}
	mission := getByEmail(t, ctx, db, "mission.mauritania@example.net")
	if mission.Kind != "mission" || mission.Country != "MR" || !mission.Verified || len(mission.Regions) != 0 {
		t.Errorf("mission: %+v", mission)
	}
	officer := getByEmail(t, ctx, db, "press.officer@example.com")
	if officer.Country != "" || officer.Timezone != "UTC" || officer.Name != "Officer, Press" || officer.Kind != "press_officer" {
		t.Errorf("press officer: %+v", officer)
	}
	var nullCountry bool
	if err := db.Get(&nullCountry, `SELECT country IS NULL FROM contacts WHERE id = $1`, officer.ID); err != nil || !nullCountry {
		t.Errorf("an empty country is stored as NULL: %v, %v", nullCountry, err)
	}
}

func assertContact(t *testing.T, got, want *contacts.Contact) {
	t.Helper()
	g := *got
	g.ConsentAt, g.CreatedAt, g.UpdatedAt = nil, want.CreatedAt, want.UpdatedAt
	if g.Email != want.Email || g.Kind != want.Kind || g.Name != want.Name || g.Organisation != want.Organisation ||
		g.Country != want.Country || !slices.Equal(g.Languages, want.Languages) || g.Timezone != want.Timezone ||
		g.Verified != want.Verified || g.Status != want.Status || g.Phone != want.Phone || g.Title != want.Title ||
		!slices.Equal(g.Regions, want.Regions) || !slices.Equal(g.Countries, want.Countries) ||
		!slices.Equal(g.Topics, want.Topics) || g.ConsentSource != want.ConsentSource {
		t.Errorf("contact\n got %+v\nwant %+v", g, *want)
	}
}

// badRows are the rejections of testdata/bad.csv, by line.
var badRows = []contacts.RowError{
	{2, "not-an-address", `email "not-an-address" is not a valid address`},
	{3, "country@example.org", `country "XX" is not an ISO 3166-1 alpha-2 code`},
	{4, "region@example.org", `region "atlantis" is unknown`},
	{5, "topic@example.org", `topic "foo" is unknown`},
	{6, "language@example.org", `language "not_a_tag!" is not a BCP 47 language tag`},
	{7, "zone@example.org", `time zone "Mars/Olympus_Mons" is not an IANA time zone`},
	{9, "amina.diallo@EXAMPLE.ORG", `email "amina.diallo@EXAMPLE.ORG" is a duplicate of line 8 (addresses ignore case)`},
	{10, "columns@example.org", `has 3 columns, want 13 (email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title)`},
	{11, "verified@example.org", `verified "maybe" is not true, false, yes, no, 1 or 0`},
	{12, "mission@example.net", `country is required for a mission`},
	{13, "kind@example.org", `kind "editor" is not journalist, mission or press_officer`},
	{16, "country2@example.org", `country "ZZ" in countries is unknown`},
	{17, "", `malformed CSV at line 17, column 23: bare " in non-quoted-field`},
	{19, "Valid@Example.Net", `email "Valid@Example.Net" is a duplicate of line 18 (addresses ignore case)`},
}

func TestImportBadFileWritesNothing(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	res, err := contacts.Import(ctx, db, open(t, "bad.csv"), contacts.ImportOptions{})
	if communique.ErrorCode(err) != communique.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	if res == nil || !slices.Equal(res.Rejected, badRows) {
		t.Fatalf("rejected:\n%s", diffRows(res, badRows))
	}
	var wantDetails []string
	for _, r := range badRows {
		wantDetails = append(wantDetails, r.String())
	}
	if got := communique.ErrorDetails(err); !slices.Equal(got, wantDetails) {
		t.Errorf("details:\n got %q\nwant %q", got, wantDetails)
	}
	if !strings.HasPrefix(communique.ErrorMessage(err), "14 rows rejected; nothing was imported") {
		t.Errorf("message %q", communique.ErrorMessage(err))
	}
	if res.Created != 0 || res.Updated != 0 || countContacts(t, db) != 0 {
		t.Errorf("something was written: %+v, %d contacts", res, countContacts(t, db))
	}
}

func diffRows(res *contacts.ImportResult, want []contacts.RowError) string {
	var b strings.Builder
	var got []contacts.RowError
	if res != nil {
		got = res.Rejected
	}
	for i := range max(len(got), len(want)) {
		var g, w contacts.RowError
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "! "
		}
		b.WriteString(mark + "got  " + strings.TrimSpace(g.String()+" <"+g.Email+">") + "\n")
		b.WriteString(mark + "want " + strings.TrimSpace(w.String()+" <"+w.Email+">") + "\n")
	}
	return b.String()
}

func TestImportSkipInvalid(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	res, err := contacts.Import(ctx, db, open(t, "bad.csv"), contacts.ImportOptions{SkipInvalid: true, Source: "admin upload"})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !slices.Equal(res.Rejected, badRows) {
		t.Fatalf("rejected:\n%s", diffRows(res, badRows))
	}
	if res.Created != 3 || res.Updated != 0 || res.Skipped != len(badRows) {
		t.Errorf("result %+v", res)
	}
	// The first of two rows with the same address wins.
	if c := getByEmail(t, ctx, db, "amina.diallo@example.org"); c.Name != "Amina Diallo" || c.Email != "Amina.Diallo@example.org" || c.ConsentSource != "admin upload" {
		t.Errorf("kept row: %+v", c)
	}
	if c := getByEmail(t, ctx, db, "multi@example.com"); c.Name != "Two-Line Name" || !slices.Equal(c.Regions, []string{"europe"}) {
		t.Errorf("multi-line row: %+v", c)
	}
	if n := countContacts(t, db); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
}

func TestImportHeader(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	for _, tc := range []struct{ name, file, detail string }{
		{"empty", "", `line 1: the header naming the columns (email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title) is missing`},
		{"no header", "x@example.org,X,,,,,,,,,,,\n", `line 1: the first line must name the columns (email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title); its column 1 holds "x@example.org", an address`},
		{"unknown column", "email,name,fax\nx@example.org,X,1\n", `line 1: column 3 "fax" is unknown (known: email, name, kind, organisation, country, languages, timezone, verified, regions, countries, topics, phone, title, status, consent_source, consent_at)`},
		{"repeated column", "email,Name, NAME \nx@example.org,X,Y\n", `line 1: column 3 " NAME " repeats column 2`},
		{"no email", "name,kind\nX,journalist\n", `line 1: the header has no email column, the one column required`},
		{"unnamed column", "email,,name\nx@example.org,,X\n", `line 1: column 2 has no name`},
	} {
		res, err := contacts.Import(ctx, db, strings.NewReader(tc.file), contacts.ImportOptions{SkipInvalid: true})
		if communique.ErrorCode(err) != communique.EINVALID || !slices.Equal(communique.ErrorDetails(err), []string{tc.detail}) {
			t.Errorf("%s: %v\n%q", tc.name, err, communique.ErrorDetails(err))
		}
		if res == nil || len(res.Rejected) != 1 || res.Rejected[0].Line != 1 {
			t.Errorf("%s: result %+v", tc.name, res)
		}
	}
	// Upper-case and padded header names are the same columns.
	res, err := contacts.Import(ctx, db, strings.NewReader(
		"EMAIL, Name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n"), contacts.ImportOptions{})
	if err != nil || res.Created != 0 {
		t.Errorf("header only: %+v, %v", res, err)
	}
	if n := countContacts(t, db); n != 0 {
		t.Errorf("%d contacts", n)
	}
}

// The header is matched by name: any order, any subset holding email.
func TestImportColumnsByName(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	file := "Topics,EMAIL,country,name\n" +
		"migration-governance;climate-mobility,a@example.org,MR,Awa\n" +
		",b@example.org,,\n"
	res, err := contacts.Import(ctx, db, strings.NewReader(file), contacts.ImportOptions{})
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	assertContact(t, getByEmail(t, ctx, db, "a@example.org"), &contacts.Contact{Email: "a@example.org", Kind: "journalist",
		Name: "Awa", Country: "MR", Languages: []string{}, Timezone: "UTC", Status: "active", Regions: []string{},
		Countries: []string{}, Topics: []string{"climate-mobility", "migration-governance"}, ConsentSource: "import"})
	if b := getByEmail(t, ctx, db, "b@example.org"); b.Name != "" || b.Status != "active" || len(b.Topics) != 0 {
		t.Errorf("b: %+v", b)
	}
	// A row must have as many cells as the header names.
	_, err = contacts.Import(ctx, db, strings.NewReader("email,name\nc@example.org,C,extra\n"), contacts.ImportOptions{})
	if d := communique.ErrorDetails(err); len(d) != 1 || d[0] != "line 2: has 3 columns, want 2 (email,name)" {
		t.Errorf("column count: %v", err)
	}
}

const header = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n"

func TestReimportUpdatesWithoutReactivating(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	first := header +
		"a@example.org,A,,,MR,fr,,,western-africa,MR,migration-governance,,\n" +
		"b@example.org,B,,,,en,,,europe,,,,\n" +
		"c@example.org,C,,,,en,,,,,,,\n" +
		"d@example.org,D,,,,en,,,,,,,\n"
	if res, err := contacts.Import(ctx, db, strings.NewReader(first), contacts.ImportOptions{}); err != nil || res.Created != 4 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	pgtest.Exec(t, db, `UPDATE contacts SET status = 'unsubscribed' WHERE email = 'a@example.org'`)
	pgtest.Exec(t, db, `UPDATE contacts SET status = 'bounced' WHERE email = 'b@example.org'`)
	pgtest.Exec(t, db, `UPDATE contacts SET status = 'pending' WHERE email = 'c@example.org'`)
	pgtest.Exec(t, db, `INSERT INTO suppressions (email, reason) VALUES ('e@example.org', 'complained'), ('f@example.org', 'bounced')`)
	before := getByEmail(t, ctx, db, "a@example.org")

	second := header +
		"A@Example.org,A Renamed,journalist,New Outlet,SN,en;fr,Africa/Dakar,true,,SN,climate-mobility,,Editor\n" +
		"b@example.org,B,,,,en,,,europe,,,,\n" +
		"c@example.org,C,,,,en,,,,,,,\n" +
		"E@example.org,E,,,,en,,,,,,,\n" +
		"f@example.org,F,,,,en,,,,,,,\n" +
		"g@example.org,,,,,,,,,,,,\n"
	res, err := contacts.Import(ctx, db, strings.NewReader(second), contacts.ImportOptions{Source: "second"})
	if err != nil || res.Created != 3 || res.Updated != 3 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	a := getByEmail(t, ctx, db, "a@example.org")
	assertContact(t, a, &contacts.Contact{Email: "A@Example.org", Kind: "journalist", Name: "A Renamed",
		Organisation: "New Outlet", Country: "SN", Languages: []string{"en", "fr"}, Timezone: "Africa/Dakar",
		Verified: true, Status: "unsubscribed", Title: "Editor", Regions: []string{}, Countries: []string{"SN"},
		Topics: []string{"climate-mobility"}, ConsentSource: "import"})
	if a.ID != before.ID || !a.ConsentAt.Equal(*before.ConsentAt) || !a.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("update changed identity or consent: %+v, before %+v", a, before)
	}
	for email, status := range map[string]string{
		"b@example.org": "bounced", "c@example.org": "pending", "d@example.org": "active",
		"e@example.org": "unsubscribed", "f@example.org": "bounced", "g@example.org": "active",
	} {
		if c := getByEmail(t, ctx, db, email); c.Status != status {
			t.Errorf("%s: status %s, want %s", email, c.Status, status)
		}
	}
	if g := getByEmail(t, ctx, db, "g@example.org"); g.Languages == nil || len(g.Languages) != 0 || g.Timezone != "UTC" || g.Kind != "journalist" {
		t.Errorf("contact with empty columns: %+v", g)
	}
	if e := getByEmail(t, ctx, db, "e@example.org"); e.ConsentSource != "second" {
		t.Errorf("new contact's consent source %q", e.ConsentSource)
	}
	var subs int
	if err := db.Get(&subs, `SELECT count(*) FROM subscriptions`); err != nil || subs != 3 {
		t.Errorf("%d subscriptions (a: 2, b: 1), %v", subs, err)
	}
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	if _, err := contacts.Import(ctx, db, open(t, "good.csv"), contacts.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if err := contacts.Export(ctx, db, &first); err != nil {
		t.Fatal(err)
	}
	exportHeader := strings.TrimSuffix(header, "\n") + ",status,consent_source,consent_at\n"
	if !strings.HasPrefix(first.String(), exportHeader) || strings.Count(first.String(), "@") != 5 {
		t.Fatalf("export:\n%s", first.String())
	}

	ctx2, db2 := setup(t)
	res, err := contacts.Import(ctx2, db2, bytes.NewReader(first.Bytes()), contacts.ImportOptions{})
	if err != nil || res.Created != 5 {
		t.Fatalf("re-import of the export: %+v, %v", res, err)
	}
	var second bytes.Buffer
	if err := contacts.Export(ctx2, db2, &second); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("round trip differs:\n%s\n---\n%s", first.String(), second.String())
	}
	list1, err1 := contacts.List(ctx, db, contacts.Filter{})
	list2, err2 := contacts.List(ctx2, db2, contacts.Filter{})
	if err1 != nil || err2 != nil || len(list1) != 5 || len(list2) != 5 {
		t.Fatalf("lists: %d %v, %d %v", len(list1), err1, len(list2), err2)
	}
	for i := range list1 {
		want := list1[i]
		want.ConsentSource = "import"
		assertContact(t, &list2[i], &want)
	}
}
