package contacts_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// Every field has a limit and refuses what PostgreSQL or a mail header
// cannot hold, naming the field; line breaks in free text become spaces.
func TestImportFieldLimits(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	long := strings.Repeat("é", 201)
	many := func(n int, f func(int) string) string {
		var s []string
		for i := range n {
			s = append(s, f(i))
		}
		return strings.Join(s, ";")
	}
	file := "email,name,organisation,title,phone,languages,regions,consent_source\n" +
		"ok@example.org,\"Jane\r\nDoe\",\"Line\none\tand two\",,,,,\n" +
		"name@example.org," + long + ",,,,,,\n" +
		"org@example.org,,\"" + strings.Repeat("x", 201) + "\",,,,,\n" +
		"title@example.org,,,\"" + strings.Repeat("x", 201) + "\",,,,\n" +
		"phone@example.org,,,,\"" + strings.Repeat("1", 51) + "\",,,\n" +
		"nul@example.org,\"a\x00b\",,,,,,\n" +
		"utf8@example.org,,\"\xc3\x28\",,,,,\n" +
		"bell@example.org,\"ring\x07\",,,,,,\n" +
		"langs@example.org,,,,,fr;en;es;ar;de;it;pt;ru;zh;ja;ko,,\n" +
		"regions@example.org,,,,,," + many(501, func(i int) string { return fmt.Sprintf("r%d", i) }) + ",\n" +
		"source@example.org,,,,,,,\"" + strings.Repeat("s", 201) + "\"\n" +
		strings.Repeat("x", 250) + "@example.org,,,,,,,\n"
	res, err := contacts.Import(ctx, db, strings.NewReader(file), contacts.ImportOptions{SkipInvalid: true})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	want := []string{
		"line 5: name is 201 characters long, more than 200",
		"line 6: organisation is 201 characters long, more than 200",
		"line 7: title is 201 characters long, more than 200",
		"line 8: phone is 51 characters long, more than 50",
		"line 9: column name contains a NUL byte",
		"line 10: column organisation is not valid UTF-8 text (is the file saved as UTF-8?)",
		"line 11: name contains the control character U+0007",
		"line 12: languages lists 11 languages, more than 10",
		"line 13: regions lists 501 entries, more than 500",
		"line 14: consent_source is 201 characters long, more than 200",
		`line 15: email "` + strings.Repeat("x", 64) + `"… is 262 bytes long, more than 254`,
	}
	var got []string
	for _, r := range res.Rejected {
		got = append(got, r.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejected\n got %q\nwant %q", got, want)
	}
	c := getByEmail(t, ctx, db, "ok@example.org")
	if c.Name != "Jane Doe" || c.Organisation != "Line one and two" {
		t.Errorf("line breaks: name %q, organisation %q", c.Name, c.Organisation)
	}
	// The stored name cannot break a CSV line or a mail header again.
	var out bytes.Buffer
	if err := contacts.Export(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(out.String(), "ok@example.org,Jane Doe,") {
		t.Errorf("export of %d lines:\n%s", n, out.String())
	}
}

// A file of any number of bad rows gets a report of the first
// MaxReported in full and counts of the others by reason, duplicates
// included.
func TestImportReportIsBounded(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	var b strings.Builder
	b.WriteString("email,country\n")
	b.WriteString("dup@example.org,FR\n")
	for i := range 3000 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "bad address %d,FR\n", i)
		case 1:
			fmt.Fprintf(&b, "c%d@example.org,XX\n", i)
		default:
			b.WriteString("DUP@example.org,FR\n")
		}
	}
	res, err := contacts.Import(ctx, db, strings.NewReader(b.String()), contacts.ImportOptions{})
	if communique.ErrorCode(err) != communique.EINVALID || res == nil {
		t.Fatalf("import: %v", err)
	}
	if len(res.Rejected) != contacts.MaxReported || res.RejectedTotal != 3000 {
		t.Fatalf("%d rows reported of %d", len(res.Rejected), res.RejectedTotal)
	}
	if r := res.Rejected[2]; r.Line != 5 || r.Reason != `email "DUP@example.org" is a duplicate of line 2 (addresses ignore case)` {
		t.Errorf("third refusal: %+v", r)
	}
	if last := res.Rejected[len(res.Rejected)-1]; last.Line != 1002 {
		t.Errorf("last reported line %d, want 1002", last.Line)
	}
	wantMore := map[string]int{"bad address": 666, "bad country": 667, "repeated address": 667}
	if fmt.Sprint(res.MoreRejected) != fmt.Sprint(wantMore) {
		t.Errorf("more: %v, want %v", res.MoreRejected, wantMore)
	}
	summary := "and 2,000 more rows refused: 667 bad country, 667 repeated address, 666 bad address"
	if res.Summary() != summary {
		t.Errorf("summary %q", res.Summary())
	}
	d := communique.ErrorDetails(err)
	if len(d) != contacts.MaxReported+1 || d[len(d)-1] != summary || communique.ErrorMessage(err) != "3,000 rows rejected; nothing was imported" {
		t.Errorf("error: %q, %d details, last %q", communique.ErrorMessage(err), len(d), d[len(d)-1])
	}
	if countContacts(t, db) != 0 {
		t.Error("something was written")
	}
}

// A row longer than MaxRowBytes (a huge cell, or a quote left open) ends
// the import with an error naming where it starts.
func TestImportRowTooLong(t *testing.T) {
	t.Parallel()
	for name, file := range map[string]string{
		"huge cell":  "email,name\na@example.org,A\nb@example.org," + strings.Repeat("n", contacts.MaxRowBytes+8<<10) + "\nc@example.org,C\n",
		"open quote": "email,name\na@example.org,A\nb@example.org,\"B\n" + strings.Repeat("c@example.org,C\n", contacts.MaxRowBytes/10),
	} {
		ctx, db := setup(t)
		res, err := contacts.Import(ctx, db, strings.NewReader(file), contacts.ImportOptions{SkipInvalid: true})
		want := "line 3: the row starting here (or just after) is longer than 256 KiB; is a quote left open?"
		if communique.ErrorCode(err) != communique.EINVALID || !slices.Equal(communique.ErrorDetails(err), []string{want}) {
			t.Errorf("%s: %v", name, err)
		}
		if res == nil || len(res.Rejected) != 1 || countContacts(t, db) != 0 {
			t.Errorf("%s: %+v, %d contacts", name, res, countContacts(t, db))
		}
	}
}
