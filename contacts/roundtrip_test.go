package contacts_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
)

// storedSuppression is an entry of the suppression list as a round trip
// can carry it: the detail and time are the list's own.
type storedSuppression struct {
	Email  string `db:"email"`
	Reason string `db:"reason"`
}

func suppressionList(t *testing.T, db *sqlx.DB) []storedSuppression {
	t.Helper()
	var out []storedSuppression
	if err := db.Select(&out, `SELECT email, reason FROM suppressions ORDER BY email`); err != nil {
		t.Fatal(err)
	}
	return out
}

// comparable blanks what a CSV file does not carry: ids and the row's own
// times, and the client addresses of the consent and of a confirmation.
func comparable(c contacts.Contact) contacts.Contact {
	c.ID, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
	c.ConsentIP, c.ConfirmedAt, c.ConfirmedIP = "", nil, ""
	return c
}

// Exporting the contacts and the taxonomy of one database and importing
// them, taxonomy first, into an empty one gives the same contacts, with
// their statuses, subscriptions, consent and suppressions.
func TestRoundTripIntoEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx, a := setup(t)
	if err := taxonomy.CreateRegion(ctx, a, taxonomy.Region{Slug: "sahel", Names: taxonomy.Names{"en": "Sahel", "fr": "Sahel"},
		Countries: []string{"BF", "ML", "MR", "NE", "TD"}}); err != nil {
		t.Fatal(err)
	}
	if err := taxonomy.CreateTopic(ctx, a, taxonomy.Topic{Slug: "food-security", Names: taxonomy.Names{"en": "Food security"}}); err != nil {
		t.Fatal(err)
	}
	file := header[:len(header)-1] + ",consent_source\n" +
		"amina.diallo@example.org,Amina Diallo,journalist,\"Le Quotidien, Nouakchott\",MR,fr;ar;en,Africa/Nouakchott,yes,sahel;western-africa,MR;SN,food-security,+222 45 00 00 00,Rédactrice en chef,newsletter form\n" +
		"unsub@example.org,\"=HYPERLINK(\"\"http://example.com\"\")\",journalist,-Minus Outlet,,en,,,europe,,,,@editor,\n" +
		"bounce@example.org,''=already quoted,journalist,'''+two quotes,FR,fr,Europe/Paris,,,FR,migration-governance,-12,'plain,\n" +
		"pending@example.org,Pending Person,journalist,,,es,,,,,climate-mobility,,,\n" +
		"-blocked@example.org,Blocked Mission,mission,Mission permanente,ML,fr,,true,,,,,,\n" +
		"active@example.org,Active One,press_officer,Media Office,,en-GB,,,,,,+41 22 000 00 01,,\n"
	if res, err := contacts.Import(ctx, a, strings.NewReader(file), contacts.ImportOptions{Source: "cli import"}); err != nil || res.Created != 6 {
		t.Fatalf("import into A: %+v, %v", res, err)
	}
	for email, status := range map[string]string{"unsub@example.org": "unsubscribed", "pending@example.org": "pending", "-blocked@example.org": "blocked"} {
		c := getByEmail(t, ctx, a, email)
		c.Status = status
		if _, err := contacts.Update(ctx, a, c.ID, c); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
	}
	if _, _, err := contacts.Suppress(ctx, a, contacts.Suppression{Email: "bounce@example.org", Reason: "bounced", Detail: "550 5.1.1 no such user"}); err != nil {
		t.Fatal(err)
	}

	var csvA, taxA bytes.Buffer
	if err := contacts.Export(ctx, a, &csvA); err != nil {
		t.Fatal(err)
	}
	doc, err := taxonomy.Export(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(&taxA).Encode(doc); err != nil {
		t.Fatal(err)
	}
	for _, cell := range []string{`'+222 45 00 00 00`, `"'=HYPERLINK(""http://example.com"")"`, `'-Minus Outlet`, `'@editor`,
		`''=already quoted`, `'''+two quotes`, `'-12`, `,'plain,`, `'-blocked@example.org`} {
		if !strings.Contains(csvA.String(), cell) {
			t.Errorf("export lacks the cell %s:\n%s", cell, csvA.String())
		}
	}

	b := pgtest.DB(t)
	if err := taxonomy.Seed(ctx, b); err != nil {
		t.Fatal(err)
	}
	readDoc, err := taxonomy.ReadDocument(&taxA)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := taxonomy.Import(ctx, b, readDoc); err != nil || res.Regions != 1 || res.Topics != 3 {
		t.Fatalf("taxonomy import into B: %+v, %v", res, err)
	}
	if res, err := contacts.Import(ctx, b, bytes.NewReader(csvA.Bytes()), contacts.ImportOptions{Source: "not used"}); err != nil || res.Created != 6 {
		t.Fatalf("contacts import into B: %+v, %v", res, err)
	}

	listA, errA := contacts.List(ctx, a, contacts.Filter{})
	listB, errB := contacts.List(ctx, b, contacts.Filter{})
	if errA != nil || errB != nil || len(listA) != 6 || len(listB) != 6 {
		t.Fatalf("lists: %d %v, %d %v", len(listA), errA, len(listB), errB)
	}
	for i := range listA {
		ca, cb := comparable(listA[i]), comparable(listB[i])
		if ca.ConsentAt == nil || cb.ConsentAt == nil || !ca.ConsentAt.Equal(*cb.ConsentAt) {
			t.Errorf("%s: consent at %v, then %v", ca.Email, ca.ConsentAt, cb.ConsentAt)
		}
		ca.ConsentAt, cb.ConsentAt = nil, nil
		ja, _ := json.Marshal(ca)
		jb, _ := json.Marshal(cb)
		if !bytes.Equal(ja, jb) {
			t.Errorf("contact differs:\n A %s\n B %s", ja, jb)
		}
	}
	amina := getByEmail(t, ctx, b, "amina.diallo@example.org")
	if amina.Phone != "+222 45 00 00 00" || amina.ConsentSource != "newsletter form" || !slices.Equal(amina.Regions, []string{"sahel", "western-africa"}) {
		t.Errorf("amina in B: %+v", amina)
	}
	if c := getByEmail(t, ctx, b, "bounce@example.org"); c.Name != "'=already quoted" || c.Organisation != "''+two quotes" || c.Title != "'plain" || c.Phone != "-12" {
		t.Errorf("quoted cells in B: %+v", c)
	}
	supA, supB := suppressionList(t, a), suppressionList(t, b)
	want := []storedSuppression{{"-blocked@example.org", "blocked"}, {"bounce@example.org", "bounced"}, {"unsub@example.org", "unsubscribed"}}
	if !slices.Equal(supA, want) || !slices.Equal(supB, want) {
		t.Errorf("suppressions:\n A %v\n B %v\nwant %v", supA, supB, want)
	}
	var csvB bytes.Buffer
	if err := contacts.Export(ctx, b, &csvB); err != nil {
		t.Fatal(err)
	}
	if csvA.String() != csvB.String() {
		t.Errorf("exports differ:\n%s---\n%s", csvA.String(), csvB.String())
	}
	docB, _ := taxonomy.Export(ctx, b)
	if ja, jb := mustJSON(t, doc), mustJSON(t, docB); ja != jb {
		t.Errorf("taxonomy differs:\n%s\n%s", ja, jb)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The status column sets a new contact's status and suppresses its
// address when it says so; it never makes a known contact active or
// pending again, and only moves one up from active to unsubscribed,
// bounced or blocked.
func TestImportStatusColumn(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	first := "email,status\n" +
		"was-unsub@example.org,unsubscribed\n" +
		"was-bounced@example.org,bounced\n" +
		"was-blocked@example.org,blocked\n" +
		"was-pending@example.org,pending\n" +
		"was-active@example.org,\n" +
		"to-block@example.org,active\n"
	if res, err := contacts.Import(ctx, db, strings.NewReader(first), contacts.ImportOptions{}); err != nil || res.Created != 6 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	pgtest.Exec(t, db, `INSERT INTO suppressions (email, reason) VALUES ('complained@example.org', 'complained')`)
	second := "email,status\n" +
		"was-unsub@example.org,active\n" +
		"was-bounced@example.org,pending\n" +
		"was-blocked@example.org,unsubscribed\n" +
		"was-pending@example.org,active\n" +
		"was-active@example.org,pending\n" +
		"to-block@example.org,blocked\n" +
		"complained@example.org,active\n" +
		"new-bounced@example.org,BOUNCED\n"
	if res, err := contacts.Import(ctx, db, strings.NewReader(second), contacts.ImportOptions{}); err != nil || res.Created != 2 || res.Updated != 6 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	for email, status := range map[string]string{
		"was-unsub@example.org": "unsubscribed", "was-bounced@example.org": "bounced", "was-blocked@example.org": "blocked",
		"was-pending@example.org": "pending", "was-active@example.org": "active", "to-block@example.org": "blocked",
		"complained@example.org": "unsubscribed", "new-bounced@example.org": "bounced",
	} {
		if c := getByEmail(t, ctx, db, email); c.Status != status {
			t.Errorf("%s: status %s, want %s", email, c.Status, status)
		}
	}
	want := []storedSuppression{{"complained@example.org", "complained"}, {"new-bounced@example.org", "bounced"},
		{"to-block@example.org", "blocked"}, {"was-blocked@example.org", "blocked"}, {"was-bounced@example.org", "bounced"},
		{"was-unsub@example.org", "unsubscribed"}}
	if got := suppressionList(t, db); !slices.Equal(got, want) {
		t.Errorf("suppressions\n got %v\nwant %v", got, want)
	}
	_, err := contacts.Import(ctx, db, strings.NewReader("email,status,consent_at\nx@example.org,gone,2026-13-01\n"), contacts.ImportOptions{})
	if got := strings.Join(communique.ErrorDetails(err), "|"); got != `line 2: status "gone" is not pending, active, unsubscribed, bounced or blocked; consent_at "2026-13-01" is not an RFC 3339 time such as 2026-11-27T09:30:00Z` {
		t.Errorf("bad status and time: %s", got)
	}
}

// A file saved by a spreadsheet where "," is the decimal mark separates
// cells with ";", and then lists with ",".
func TestImportSemicolonSeparated(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	file := "\ufeffEmail;Name;Organisation;Languages;Regions;Countries;Phone\r\n" +
		"marie@example.org;Dupont, Marie;\"Le Journal; Paris\";fr,en;europe,western-africa;\"FR;BE\";'+33 1 00 00 00 00\r\n"
	res, err := contacts.Import(ctx, db, strings.NewReader(file), contacts.ImportOptions{})
	if err != nil || res.Created != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	c := getByEmail(t, ctx, db, "marie@example.org")
	if c.Name != "Dupont, Marie" || c.Organisation != "Le Journal; Paris" || !slices.Equal(c.Languages, []string{"fr", "en"}) ||
		!slices.Equal(c.Regions, []string{"europe", "western-africa"}) || !slices.Equal(c.Countries, []string{"BE", "FR"}) ||
		c.Phone != "+33 1 00 00 00 00" {
		t.Errorf("contact %+v", c)
	}
}
