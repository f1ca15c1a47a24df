package contacts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
)

func TestDeleteKeepsContactsWithRecords(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	sent, err := contacts.Create(ctx, db, &contacts.Contact{Email: "sent@example.org", Regions: []string{"europe"}})
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `
		WITH r AS (INSERT INTO releases (slug, original_language) VALUES ('r', 'en') RETURNING id),
		d AS (INSERT INTO dispatches (release_id, variant) SELECT id, 'public' FROM r RETURNING id)
		INSERT INTO deliveries (dispatch_id, contact_id, email, language) SELECT d.id, $1, 'sent@example.org', 'en' FROM d`, sent.ID)
	err = contacts.Delete(ctx, db, sent.ID)
	if communique.ErrorCode(err) != communique.ECONFLICT || communique.ErrorDetails(err)[0] !=
		"id: releases were sent to it and its deliveries are kept; set its status to blocked instead" {
		t.Errorf("delete of a contact with deliveries: %v", err)
	}
	other, _ := contacts.Create(ctx, db, &contacts.Contact{Email: "other@example.org", Topics: []string{"climate-mobility"}})
	if err := contacts.Delete(ctx, db, other.ID); err != nil {
		t.Fatal(err)
	}
	var subs int
	if err := db.Get(&subs, `SELECT count(*) FROM subscriptions WHERE contact_id = $1`, other.ID); err != nil || subs != 0 {
		t.Errorf("%d subscriptions left, %v", subs, err)
	}
}

// deletionUnderWay deletes contact id as Delete does, in a transaction
// left open for the test to commit; it is rolled back if the test does
// not.
func deletionUnderWay(t *testing.T, db *sqlx.DB, id int64) *sqlx.Tx {
	t.Helper()
	del := db.MustBegin()
	t.Cleanup(func() { del.Rollback() })
	del.MustExec(`SELECT pg_advisory_xact_lock(hashtext('communique.contacts.delete'))`)
	del.MustExec(`DELETE FROM contacts WHERE id = $1`, id)
	del.MustExec(`DELETE FROM subscriptions WHERE contact_id = $1`, id)
	return del
}

// With no foreign key from subscriptions to contacts, a deletion deletes
// the contact's subscriptions itself, and writers of subscriptions wait
// for a deletion under way: an update then finds no contact, an import
// makes it anew, and no subscription is left naming a contact that is
// gone.
func TestDeleteAndSubscriptionWritersDoNotCross(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	c, err := contacts.Create(ctx, db, &contacts.Contact{Email: "gone@example.org", Regions: []string{"europe"}})
	if err != nil {
		t.Fatal(err)
	}
	del := deletionUnderWay(t, db, c.ID)

	updated, imported := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := contacts.Update(ctx, db, c.ID, &contacts.Contact{Email: "gone@example.org", Topics: []string{"climate-mobility"}})
		updated <- err
	}()
	go func() {
		_, err := contacts.Import(ctx, db, strings.NewReader("email,countries\ngone@example.org,MR\n"), contacts.ImportOptions{})
		imported <- err
	}()
	select {
	case err := <-updated:
		t.Fatalf("the update did not wait for the deletion under way: %v", err)
	case err := <-imported:
		t.Fatalf("the import did not wait for the deletion under way: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := del.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-updated; communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("updating a contact deleted meanwhile: %v, want not found", err)
	}
	if err := <-imported; err != nil {
		t.Fatalf("importing a contact deleted meanwhile: %v", err)
	}
	var orphans int
	if err := db.Get(&orphans, `
		SELECT count(*) FROM subscriptions s WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = s.contact_id)`); err != nil || orphans != 0 {
		t.Errorf("%d subscriptions name a contact that is gone (%v)", orphans, err)
	}
	var subs []string
	if err := db.Select(&subs, `
		SELECT s.kind || ' ' || s.value FROM subscriptions s JOIN contacts c ON c.id = s.contact_id
		WHERE c.email = 'gone@example.org'`); err != nil || len(subs) != 1 || subs[0] != "country MR" {
		t.Errorf("the imported contact's subscriptions: %v, %v; want [country MR]", subs, err)
	}
}

func TestSuppressionStatuses(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	c, err := contacts.Create(ctx, db, &contacts.Contact{Email: "Person@Example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ reason, status string }{
		{"unsubscribed", "unsubscribed"},
		{"bounced", "bounced"},
		{"unsubscribed", "bounced"}, // an unsubscription does not hide a bounce
		{"blocked", "blocked"},
		{"bounced", "blocked"}, // nor a bounce a block
	} {
		if _, _, err := contacts.Suppress(ctx, db, contacts.Suppression{Email: "person@example.org", Reason: step.reason}); err != nil {
			t.Fatal(err)
		}
		if got, _ := contacts.Get(ctx, db, c.ID); got.Status != step.status {
			t.Errorf("after %s: %s, want %s", step.reason, got.Status, step.status)
		}
	}
	// A new contact for a suppressed address is created with its status.
	if _, _, err := contacts.Suppress(ctx, db, contacts.Suppression{Email: "gone@example.org", Reason: "complained"}); err != nil {
		t.Fatal(err)
	}
	g, err := contacts.Create(ctx, db, &contacts.Contact{Email: "GONE@example.org", Status: "active"})
	if err != nil || g.Status != "unsubscribed" {
		t.Errorf("contact of a suppressed address: %+v, %v", g, err)
	}
}

func TestSubscriptionRequests(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	req := contacts.SubscriptionRequest{Email: "new@example.org", Regions: []string{"africa"}, Source: "form", IP: "192.0.2.1"}
	id, outcome, err := contacts.RequestSubscription(ctx, db, req)
	if err != nil || outcome != contacts.RequestPending {
		t.Fatalf("new address: %v %v", outcome, err)
	}
	if c, _ := contacts.Get(ctx, db, id); c.Status != "pending" || c.ConsentIP != "192.0.2.1" || c.ConsentSource != "form" || c.Kind != "journalist" {
		t.Errorf("pending contact %+v", c)
	}
	if c, outcome, err := contacts.Confirm(ctx, db, id, "192.0.2.2"); err != nil || outcome != contacts.Confirmed || c.ConfirmedIP != "192.0.2.2" {
		t.Errorf("confirm: %v %v %+v", outcome, err, c)
	}
	if _, outcome, _ := contacts.Confirm(ctx, db, id, ""); outcome != contacts.AlreadyActive {
		t.Errorf("confirm twice: %v", outcome)
	}
	if _, outcome, _ := contacts.RequestSubscription(ctx, db, req); outcome != contacts.RequestActive {
		t.Errorf("active address: %v", outcome)
	}

	_, _, err = contacts.RequestSubscription(ctx, db, contacts.SubscriptionRequest{Email: "x@example.org", Topics: []string{"nope"}})
	if communique.ErrorCode(err) != communique.EINVALID || communique.ErrorDetails(err)[0] != `topic "nope" is unknown` {
		t.Errorf("unknown topic: %v", err)
	}
	_, _, err = contacts.RequestSubscription(ctx, db, contacts.SubscriptionRequest{Email: "x@example.org"})
	if communique.ErrorCode(err) != communique.EINVALID || communique.ErrorDetails(err)[0] != "subscriptions: choose at least one region, country or topic" {
		t.Errorf("no subscription: %v", err)
	}
	if _, _, err := contacts.Confirm(ctx, db, 99999, ""); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("confirm of a missing contact: %v", err)
	}
}

// With no foreign key from deliveries to contacts, a lock keeps a deletion
// and the recording of an audience apart. A deletion waits for an
// audience being recorded, and then refuses if the contact got a
// delivery; an audience recorded while a deletion goes through leaves the
// deleted contact out.
func TestDeleteAndAudienceDoNotCross(t *testing.T) {
	t.Parallel()
	f := setupAudience(t)
	idOf := func(email string) int64 {
		var id int64
		if err := f.db.Get(&id, `SELECT id FROM contacts WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
		return id
	}
	record := func(tx *sqlx.Tx, dispatchID, releaseID int64) {
		if _, err := contacts.InsertPublicAudience(f.ctx, tx, dispatchID, releaseID, chooseEnFr); err != nil {
			t.Fatal(err)
		}
	}
	// deleteAsync deletes id and checks that the deletion waits while
	// holder's transaction is open.
	deleteAsync := func(id int64) <-chan error {
		done := make(chan error, 1)
		go func() { done <- contacts.Delete(f.ctx, f.db, id) }()
		select {
		case err := <-done:
			t.Fatalf("the deletion did not wait for the audience being recorded: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		return done
	}

	// The audience commits: the deletion then sees the delivery.
	dispatchID, releaseID := f.dispatch(t, "committed", release{countries: []string{"MR"}}, "public")
	mr := idOf("country-mr@example.org")
	tx := f.db.MustBegin()
	record(tx, dispatchID, releaseID)
	done := deleteAsync(mr)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; communique.ErrorCode(err) != communique.ECONFLICT {
		t.Errorf("deleting a contact an audience just reached: %v, want a conflict", err)
	}

	// The audience is rolled back: the deletion goes through.
	dispatchID, releaseID = f.dispatch(t, "rolled-back", release{topics: []string{"migration-governance"}}, "public")
	topic := idOf("topic-migration@example.org")
	tx = f.db.MustBegin()
	record(tx, dispatchID, releaseID)
	done = deleteAsync(topic)
	tx.Rollback()
	if err := <-done; err != nil {
		t.Errorf("deleting a contact after the audience was rolled back: %v", err)
	}

	// A deletion under way, its lock taken as Delete takes it: the
	// audience waits, then leaves the deleted contact out.
	dispatchID, releaseID = f.dispatch(t, "after-deletion", release{countries: []string{"SN"}}, "public")
	sn := idOf("mission-sn@example.net")
	pgtest.Exec(t, f.db, `INSERT INTO subscriptions (contact_id, kind, value) VALUES ($1, 'country', 'SN')`, sn)
	del := deletionUnderWay(t, f.db, sn)
	recorded := make(chan error, 1)
	go func() {
		_, err := f.inTx(t, func(tx *sqlx.Tx) (int64, error) {
			return contacts.InsertPublicAudience(f.ctx, tx, dispatchID, releaseID, chooseEnFr)
		})
		recorded <- err
	}()
	select {
	case err := <-recorded:
		t.Fatalf("the audience did not wait for the deletion under way: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := del.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-recorded; err != nil {
		t.Fatal(err)
	}
	var orphans int
	if err := f.db.Get(&orphans, `
		SELECT count(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = d.contact_id)`); err != nil || orphans != 0 {
		t.Errorf("%d deliveries name a contact that is gone (%v)", orphans, err)
	}
	if got := f.deliveries(t, dispatchID); len(got) == 0 {
		t.Errorf("the audience recorded after the deletion is empty: the test no longer tests the wait")
	}
}
