package releases_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
)

// Publishing to nobody is refused and leaves nothing behind; a suppressed
// address is nobody; under embargo, the embargo audience is enough.
func TestPublishRefusesAnEmptyAudience(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	id := create(t, db, "nobody", nil)
	empty := func(err error) {
		t.Helper()
		if communique.ErrorCode(err) != communique.EINVALID || !strings.HasPrefix(communique.ErrorMessage(err), "the audience is empty: ") ||
			!strings.Contains(err.Error(), "allow_empty") {
			t.Fatalf("publishing to nobody: %v", err)
		}
		if st := status(t, db, id); st != "draft" || count(t, db, `SELECT count(*) FROM dispatches`) != 0 || count(t, db, `SELECT count(*) FROM outbox`) != 0 {
			t.Fatalf("a refused publication left status %s and rows behind", st)
		}
	}
	_, err := l.Publish(ctx, id, "tester", releases.PublishOptions{})
	empty(err)

	// Following the release, but suppressed, or not active: still nobody.
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind, status) VALUES
		('gone@example.org', 'journalist', 'active'), ('pending@example.org', 'journalist', 'pending')`)
	pgtest.Exec(t, db, `INSERT INTO suppressions (email, reason) VALUES ('gone@example.org', 'bounced')`)
	pgtest.Exec(t, db, `INSERT INTO subscriptions (contact_id, kind, value) SELECT id, 'country', 'MR' FROM contacts WHERE kind = 'journalist'`)
	_, err = l.Publish(ctx, id, "tester", releases.PublishOptions{})
	empty(err)

	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind) VALUES ('reader@example.org', 'journalist')`)
	pgtest.Exec(t, db, `INSERT INTO subscriptions (contact_id, kind, value) SELECT id, 'region', 'africa' FROM contacts WHERE email = 'reader@example.org'`)
	if st, err := l.Publish(ctx, id, "tester", releases.PublishOptions{}); err != nil || st != "published" {
		t.Fatalf("publishing to a subscriber of Africa: %q %v", st, err)
	}
}

func TestEmbargoAudienceAloneIsAnAudience(t *testing.T) {
	ctx := context.Background()
	db, l, _ := setup(t)
	until := t0.Add(time.Hour)
	id := create(t, db, "missions-only", &until) // missions "concerned", country MR
	_, err := l.Publish(ctx, id, "tester", releases.PublishOptions{})
	if communique.ErrorCode(err) != communique.EINVALID || !strings.Contains(err.Error(), "embargo_audience") {
		t.Fatalf("embargoed to nobody: %v", err)
	}
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind, country) VALUES ('mission.mr@example.org', 'mission', 'MR')`)
	if st, err := l.Publish(ctx, id, "tester", releases.PublishOptions{}); err != nil || st != "embargoed" {
		t.Fatalf("embargoed to the mission of Mauritania: %q %v", st, err)
	}
	other := create(t, db, "allowed-empty", nil)
	pgtest.Exec(t, db, `UPDATE releases SET countries = '{SN}' WHERE id = $1`, other)
	if st, err := l.Publish(ctx, other, "tester", releases.PublishOptions{AllowEmpty: true}); err != nil || st != "published" {
		t.Fatalf("allow_empty: %q %v", st, err)
	}
}
