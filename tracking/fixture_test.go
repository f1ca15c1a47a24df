package tracking

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/links"
	"github.com/communique/communique/postgres/pgtest"
)

const testDomain = "bounce.example.org"

var zeroTime time.Time

// fixture is a migrated database with one release dispatched to
// contacts the test adds.
type fixture struct {
	t        *testing.T
	db       *sqlx.DB
	signer   *links.Signer
	dispatch int64
	release  int64
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t}
	f.init(t)
	return f
}

// setupBench is setup for a benchmark.
func setupBench(b *testing.B) *fixture {
	b.Helper()
	f := &fixture{}
	f.init(b)
	return f
}

func (f *fixture) init(t testing.TB) {
	t.Helper()
	f.db, f.signer = pgtest.DB(t), links.NewSigner("a secret for the tests, 32 bytes long")
	if err := f.db.Get(&f.release, `INSERT INTO releases (slug, original_language, status, published_at)
		VALUES ('a-release', 'en', 'published', now()) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Get(&f.dispatch, `INSERT INTO dispatches (release_id, variant, status) VALUES ($1, 'public', 'done') RETURNING id`, f.release); err != nil {
		t.Fatal(err)
	}
}

// delivery adds an active contact for email and a sent delivery to it.
func (f *fixture) delivery(email string) (deliveryID, contactID int64) {
	f.t.Helper()
	if err := f.db.Get(&contactID, `INSERT INTO contacts (email, kind) VALUES ($1, 'journalist')
		ON CONFLICT (lower(email)) DO UPDATE SET email = excluded.email RETURNING id`, email); err != nil {
		f.t.Fatal(err)
	}
	return f.deliveryTo(f.dispatch, contactID, email), contactID
}

func (f *fixture) deliveryTo(dispatch, contactID int64, email string) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.Get(&id, `INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, attempts, sent_at)
		VALUES ($1, $2, $3, 'en', 'sent', 1, now()) RETURNING id`, dispatch, contactID, email); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// newDispatch is another release's dispatch, so a contact can have
// several deliveries.
func (f *fixture) newDispatch() int64 {
	f.t.Helper()
	var rel, id int64
	slug := fmt.Sprintf("release-%d", time.Now().UnixNano())
	if err := f.db.Get(&rel, `INSERT INTO releases (slug, original_language, status) VALUES ($1, 'en', 'published') RETURNING id`, slug); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.Get(&id, `INSERT INTO dispatches (release_id, variant, status) VALUES ($1, 'public', 'done') RETURNING id`, rel); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) bounceAddr(deliveryID int64) string {
	return fmt.Sprintf("bounce+%d-%s@%s", deliveryID, f.signer.Token("bounce", deliveryID, time.Time{}), testDomain)
}

func (f *fixture) unsubscribeAddr(contactID int64) string {
	return fmt.Sprintf("unsubscribe+%s@%s", f.signer.Token("unsubscribe", contactID, time.Time{}), testDomain)
}

func (f *fixture) str(query string, args ...any) string {
	f.t.Helper()
	var s string
	if err := f.db.Get(&s, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return s
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
