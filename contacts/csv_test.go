package contacts_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

func readAll(t *testing.T, r *contacts.Reader) []*contacts.Record {
	t.Helper()
	var recs []*contacts.Record
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

func TestReaderCanonicalizes(t *testing.T) {
	in := "\ufeff" + header +
		" X@Example.org , Name ,Mission, Org ,mr, FR-ch ; iw;fr-CH;;,, YES ,,mr;sn;MR,,+1 , Title \r\n"
	recs := readAll(t, contacts.NewReader(strings.NewReader(in), nil))
	if len(recs) != 1 || len(recs[0].Problems) != 0 {
		t.Fatalf("records %+v", recs)
	}
	c := recs[0].Contact
	if c.Email != "X@Example.org" || c.Name != "Name" || c.Kind != "mission" || c.Organisation != "Org" ||
		c.Country != "MR" || strings.Join(c.Languages, ";") != "fr-CH;he" || c.Timezone != "UTC" ||
		!c.Verified || strings.Join(c.Countries, ";") != "MR;SN" || c.Phone != "+1" || c.Title != "Title" {
		t.Errorf("contact %+v", c)
	}
}

func TestReaderRowProblems(t *testing.T) {
	in := header +
		"a@example.org,,,,,,,,,,,,\n" +
		"a@localhost,,,,,,,,,,,,\n" +
		"Name <b@example.org>,,,,,,,,,,,,\n" +
		"c@exa_mple.org,,,,,,,,,,,,\n" +
		"\"d@example.org\",\"x\xff\",,,,,,,,,,,\n" +
		"e@example.org,,,,,,Local,,,,,,\n" +
		"f@example.org,,,,,und,,,,,,,\n" +
		",,,,,,,,,,,,\n"
	recs := readAll(t, contacts.NewReader(strings.NewReader(in), nil))
	want := []string{
		"",
		`email "a@localhost" has an invalid domain "localhost"`,
		`email "Name <b@example.org>" is not a valid address`,
		`email "c@exa_mple.org" has an invalid domain "exa_mple.org"`,
		`column name is not valid UTF-8 text (is the file saved as UTF-8?)`,
		`time zone "Local" is not an IANA time zone`,
		`language "und" is not a BCP 47 language tag`,
		`email is missing`,
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		if got := strings.Join(rec.Problems, "; "); got != want[i] || rec.Line != i+2 {
			t.Errorf("line %d: %q, want line %d: %q", rec.Line, got, i+2, want[i])
		}
	}
}

func TestReaderHeaderErrorSticks(t *testing.T) {
	r := contacts.NewReader(strings.NewReader("a,b\n"+header), nil)
	for range 2 {
		if _, err := r.Read(); communique.ErrorCode(err) != communique.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	}
}

// FuzzReadCSV checks that no input makes the reader panic, loop or report
// lines out of order.
func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"good.csv", "bad.csv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(header + "\"unterminated,\n"))
	f.Add([]byte("\ufeff" + header + "a@example.org,\"x\"\"y\",,,,,,,,,,,\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := contacts.NewReader(strings.NewReader(string(data)), nil)
		last := 0
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("%d records from %d bytes", i, len(data))
			}
			rec, err := r.Read()
			if err != nil {
				return
			}
			if rec.Line <= last {
				t.Fatalf("line %d after line %d", rec.Line, last)
			}
			last = rec.Line
			if len(rec.Problems) == 0 && rec.Contact.Email == "" {
				t.Fatalf("line %d: accepted without an address", rec.Line)
			}
		}
	})
}

func TestContactNormalize(t *testing.T) {
	c := contacts.Contact{Email: " press@example.org ", Kind: "Press_Officer", Languages: []string{"EN-gb"}}
	if err := c.Normalize(nil); err != nil || c.Email != "press@example.org" || c.Kind != "press_officer" ||
		c.Languages[0] != "en-GB" || c.Timezone != "UTC" || c.Regions == nil {
		t.Errorf("Normalize: %v, %+v", err, c)
	}
	bad := contacts.Contact{Email: "x", Kind: "mission", Timezone: "Nowhere/City", Regions: []string{"africa"}}
	err := bad.Normalize(nil)
	if communique.ErrorCode(err) != communique.EINVALID || len(communique.ErrorDetails(err)) != 4 {
		t.Errorf("Normalize of a bad contact: %v", err)
	}
}
