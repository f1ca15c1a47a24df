package contacts_test

import (
	"testing"

	"github.com/communique/communique/postgres"
	"github.com/communique/communique/postgres/pgtest"
)

// Contacts stored with line breaks in their single-line fields, before
// those were refused, get a space instead, as an import would give them.
func TestMigrationNormalisesLineBreaks(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind, name, organisation, title, phone, consent_source) VALUES
		('a@example.org', 'journalist', E'Two-Line\r\nName', E'Journal\n\nBureau ', E'\tTitle', E'+1\n', E'form\u2028x'),
		('b@example.org', 'journalist', 'Plain', 'Org', '', '', 'import')`)
	pgtest.Exec(t, db, `DELETE FROM schema_migrations WHERE version = 9`)
	if _, err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	a := getByEmail(t, ctx, db, "a@example.org")
	if a.Name != "Two-Line Name" || a.Organisation != "Journal Bureau" || a.Title != "Title" || a.Phone != "+1" || a.ConsentSource != "form x" {
		t.Errorf("a: %q %q %q %q %q", a.Name, a.Organisation, a.Title, a.Phone, a.ConsentSource)
	}
	if b := getByEmail(t, ctx, db, "b@example.org"); b.UpdatedAt != b.CreatedAt {
		t.Errorf("b was rewritten: %+v", b)
	}
}
