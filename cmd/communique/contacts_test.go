package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/communique/communique/postgres/pgtest"
)

// The scripted move of an address book: contacts and taxonomy exported
// from one database, imported into an empty one (taxonomy first) with
// flags after the file name, give the same files back.
func TestContactsAndTaxonomyCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := pgtest.URL(t), pgtest.URL(t)
	var out, errOut bytes.Buffer
	do := func(args ...string) string {
		t.Helper()
		out.Reset()
		errOut.Reset()
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	do("migrate", "-database-url", a)
	do("migrate", "-database-url", b)
	taxFile := filepath.Join(dir, "taxonomy.json")
	os.WriteFile(taxFile, []byte(`{"regions": [{"slug": "sahel", "names": {"en": "Sahel"}, "countries": ["ML", "NE", "TD"]}],
		"topics": [{"slug": "food-security", "names": {"en": "Food security", "fr": "Sécurité alimentaire"}}]}`), 0o600)
	if got := do("taxonomy", "import", taxFile, "-database-url", a); got != "regions created 1, topics created 1, unchanged 0\n" {
		t.Fatalf("taxonomy import said %q", got)
	}
	csvFile := filepath.Join(dir, "contacts.csv")
	os.WriteFile(csvFile, []byte("email;name;regions;topics;phone;status\n"+
		"awa@example.org;Awa;sahel;food-security;+223 20 00 00 00;\n"+
		"gone@example.org;Gone;;;;unsubscribed\n"+
		"bad address;Bad;;;;\n"), 0o600)
	if got := do("contacts", "import", csvFile, "-skip-invalid", "-database-url", a); got != "created 2, updated 0, rejected 1\n" ||
		!strings.Contains(errOut.String(), "contacts.csv: line 4: email \"bad address\" is not a valid address") {
		t.Fatalf("contacts import said %q, %q", got, errOut.String())
	}
	contactsA := do("contacts", "export", "-database-url", a)
	taxonomyA := do("taxonomy", "export", "-database-url", a)
	if !strings.Contains(contactsA, ",'+223 20 00 00 00,") || !strings.Contains(taxonomyA, `"slug": "sahel"`) {
		t.Fatalf("exports:\n%s\n%s", contactsA, taxonomyA)
	}

	os.WriteFile(taxFile, []byte(taxonomyA), 0o600)
	os.WriteFile(csvFile, []byte(contactsA), 0o600)
	do("taxonomy", "import", "-database-url", b, taxFile)
	if got := do("taxonomy", "import", taxFile, "-database-url", b); got != "regions created 0, topics created 0, unchanged 2\n" {
		t.Errorf("second taxonomy import said %q", got)
	}
	if got := do("contacts", "import", csvFile, "-database-url", b); got != "created 2, updated 0, rejected 0\n" {
		t.Errorf("contacts import into B said %q", got)
	}
	if got := do("contacts", "export", "-database-url", b); got != contactsA {
		t.Errorf("contacts differ:\n%s---\n%s", contactsA, got)
	}
	if got := do("taxonomy", "export", "-database-url", b); got != taxonomyA {
		t.Errorf("taxonomy differs:\n%s---\n%s", taxonomyA, got)
	}

	os.WriteFile(taxFile, []byte(`{"topics": [{"slug": "food-security", "names": {"en": "Food"}}]}`), 0o600)
	err := run(ctx, []string{"taxonomy", "import", taxFile, "-database-url", b}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), `topic "food-security": exists with other names`) {
		t.Errorf("conflicting taxonomy: %v", err)
	}
}
