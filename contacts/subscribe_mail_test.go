package contacts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/contacts"
)

// The mail a request calls for is queued in the request's transaction:
// a failure to queue it leaves no pending contact and no mail counted,
// and only the outcomes that mail something call it.
func TestRequestMailIsPartOfTheRequest(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	req := contacts.SubscriptionRequest{Email: "Awa@Example.org", Regions: []string{"africa"}, Source: "form", IP: "192.0.2.1"}
	queueFails := func(context.Context, *sqlx.Tx, int64, string, contacts.RequestOutcome) error {
		return errors.New("queue unavailable")
	}
	if _, _, err := contacts.RequestSubscriptionMail(ctx, db, req, queueFails); err == nil {
		t.Fatal("a request whose mail could not be queued succeeded")
	}
	var n int
	if err := db.Get(&n, `SELECT (SELECT count(*) FROM contacts WHERE email ILIKE 'awa@example.org') + (SELECT count(*) FROM subscriber_mails)`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows left by a failed request", n)
	}

	type call struct {
		id      int64
		email   string
		outcome contacts.RequestOutcome
	}
	var calls []call
	record := func(ctx context.Context, tx *sqlx.Tx, id int64, email string, o contacts.RequestOutcome) error {
		// The contact is visible to the transaction the mail is queued in.
		var status string
		if err := tx.GetContext(ctx, &status, `SELECT status FROM contacts WHERE id = $1`, id); err != nil {
			return err
		}
		if status != "pending" && status != "active" {
			t.Errorf("contact %d is %s when its mail is queued", id, status)
		}
		calls = append(calls, call{id, email, o})
		return nil
	}
	id, outcome, err := contacts.RequestSubscriptionMail(ctx, db, req, record)
	if err != nil || outcome != contacts.RequestPending || len(calls) != 1 || calls[0] != (call{id, "Awa@Example.org", contacts.RequestPending}) {
		t.Fatalf("new address: %v %v %+v", outcome, err, calls)
	}
	if _, _, err := contacts.Confirm(ctx, db, id, ""); err != nil {
		t.Fatal(err)
	}
	if _, outcome, _ := contacts.RequestSubscriptionMail(ctx, db, req, record); outcome != contacts.RequestActive || len(calls) != 2 {
		t.Fatalf("active address: %v %+v", outcome, calls)
	}
	// The third mail of the day is the last; the fourth request mails nothing.
	contacts.RequestSubscriptionMail(ctx, db, req, record)
	if _, outcome, _ := contacts.RequestSubscriptionMail(ctx, db, req, record); outcome != contacts.RequestLimited || len(calls) != 3 {
		t.Fatalf("limited address: %v %d calls", outcome, len(calls))
	}

	calls = nil
	if _, due, err := contacts.RequestPreferencesLinkMail(ctx, db, id, record); err != nil || !due || len(calls) != 1 || calls[0].id != id {
		t.Fatalf("preferences link: %v %v %+v", due, err, calls)
	}
	if _, _, err := contacts.RequestPreferencesLinkMail(ctx, db, id, queueFails); err == nil {
		t.Fatal("a preferences link whose mail could not be queued succeeded")
	}
	if err := db.Get(&n, `SELECT count(*) FROM subscriber_mails WHERE contact_id = $1 AND kind = 'preferences'`, id); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d preferences mails counted, want the one queued", n)
	}
}
