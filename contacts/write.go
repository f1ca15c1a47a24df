package contacts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
	"github.com/communique/communique/taxonomy"
)

// Create stores a new contact with its subscriptions and returns it as
// stored. The status defaults to active, but an address on the suppression
// list gets the status of its suppression whatever was asked, and a
// contact created unsubscribed, bounced or blocked puts its address on the
// list. The consent source defaults to "api" and its time to now. An
// address that is taken (compared without case) is an ECONFLICT error.
func Create(ctx context.Context, db *sqlx.DB, c *Contact) (*Contact, error) {
	var id int64
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		if err := normalizeForWrite(ctx, tx, c); err != nil {
			return err
		}
		if c.Status == "" {
			c.Status = StatusActive
		}
		reason, err := suppressionReason(ctx, tx, c.Email)
		if err != nil {
			return err
		}
		if reason != "" && (c.Status == StatusActive || c.Status == StatusPending) {
			c.Status = statusForReason(reason)
		}
		if c.ConsentSource == "" {
			c.ConsentSource = "api"
		}
		if c.ConsentAt == nil {
			now := time.Now()
			c.ConsentAt = &now
		}
		err = tx.GetContext(ctx, &id, `
			INSERT INTO contacts (email, kind, name, organisation, country, languages, timezone, verified,
				status, phone, title, consent_at, consent_source, consent_ip)
			VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, $10, $11, $12, $13, $14)
			RETURNING id`,
			c.Email, c.Kind, c.Name, c.Organisation, c.Country, c.Languages, c.Timezone, c.Verified,
			c.Status, c.Phone, c.Title, c.ConsentAt, c.ConsentSource, c.ConsentIP)
		if postgres.IsUniqueViolation(err, "contacts_email_key") {
			return emailTaken(ctx, db, c.Email)
		}
		if err != nil {
			return fmt.Errorf("insert contact: %w", err)
		}
		if err := suppressForStatus(ctx, tx, c.Email, c.Status, "set by an administrator"); err != nil {
			return err
		}
		return replaceSubscriptions(ctx, tx, id, c)
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, id)
}

// Update replaces the fields and subscriptions of contact id with c's and
// returns it as stored. An empty status keeps the current one, and so do
// an empty consent source and a nil consent time. Status changes keep the
// suppression list right: setting unsubscribed, bounced or blocked
// suppresses the address; setting active or pending is refused (ECONFLICT)
// for a suppressed address, which an administrator lifts first, and for an
// unsubscribed contact, who only subscribes again by confirming through the
// public page.
func Update(ctx context.Context, db *sqlx.DB, id int64, c *Contact) (*Contact, error) {
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		// Before the contact's row: a deletion takes the lock, then the row.
		if _, err := tx.ExecContext(ctx, holdContactsSQL); err != nil {
			return err
		}
		var cur struct {
			Status string `db:"status"`
		}
		err := tx.GetContext(ctx, &cur, `SELECT status FROM contacts WHERE id = $1 FOR UPDATE`, id)
		if postgres.IsNoRows(err) {
			return communique.Errorf(communique.ENOTFOUND, "contact %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("lock contact %d: %w", id, err)
		}
		if err := normalizeForWrite(ctx, tx, c); err != nil {
			return err
		}
		if c.Status == "" {
			c.Status = cur.Status
		}
		if c.Status == StatusActive || c.Status == StatusPending {
			reason, err := suppressionReason(ctx, tx, c.Email)
			if err != nil {
				return err
			}
			if reason != "" {
				return &communique.Error{Code: communique.ECONFLICT, Message: "the address is suppressed",
					Details: []string{fmt.Sprintf("status: %s is suppressed (%s); lift the suppression before making the contact %s", c.Email, reason, c.Status)}}
			}
			if cur.Status == StatusUnsubscribed {
				return &communique.Error{Code: communique.ECONFLICT, Message: "the contact unsubscribed",
					Details: []string{"status: an unsubscribed contact subscribes again only by confirming on the public subscribe page"}}
			}
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE contacts SET email = $2, kind = $3, name = $4, organisation = $5, country = nullif($6, ''),
				languages = $7, timezone = $8, verified = $9, status = $10, phone = $11, title = $12,
				consent_at = coalesce($13, consent_at), consent_source = coalesce(nullif($14, ''), consent_source),
				updated_at = now()
			WHERE id = $1`,
			id, c.Email, c.Kind, c.Name, c.Organisation, c.Country, c.Languages, c.Timezone, c.Verified,
			c.Status, c.Phone, c.Title, c.ConsentAt, c.ConsentSource)
		if postgres.IsUniqueViolation(err, "contacts_email_key") {
			return emailTaken(ctx, db, c.Email)
		}
		if err != nil {
			return fmt.Errorf("update contact %d: %w", id, err)
		}
		if err := suppressForStatus(ctx, tx, c.Email, c.Status, "set by an administrator"); err != nil {
			return err
		}
		return replaceSubscriptions(ctx, tx, id, c)
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, id)
}

// Delete removes contact id and its subscriptions. A contact that releases
// were sent to, or that a release lists as its press contact, is kept for
// those records: deleting it is an ECONFLICT error (block it instead). Its
// address stays on the suppression list if it is there.
func Delete(ctx context.Context, db *sqlx.DB, id int64) error {
	cannot := func(reason string) error {
		return &communique.Error{Code: communique.ECONFLICT, Message: fmt.Sprintf("contact %d cannot be deleted", id),
			Details: []string{"id: " + reason}}
	}
	var res sql.Result
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		// Deliveries and subscriptions have no foreign key to contacts
		// (migrations 0022 and 0024): under this lock no audience being
		// recorded can give the contact a delivery this check does not
		// see, and no writer can give it subscriptions.
		if _, err := tx.ExecContext(ctx, deletionLockSQL); err != nil {
			return err
		}
		var sent bool
		if err := tx.GetContext(ctx, &sent, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE contact_id = $1)`, id); err != nil {
			return err
		}
		if sent {
			return cannot("releases were sent to it and its deliveries are kept; set its status to blocked instead")
		}
		var err error
		if res, err = tx.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1`, id); err != nil {
			return err
		}
		// No foreign key cascades to them (migration 0024); under the
		// lock, no writer is adding any.
		_, err = tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE contact_id = $1`, id)
		return err
	})
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23503" { // foreign_key_violation
		reason := "other records refer to it"
		if pqErr.Constraint == "release_press_contacts_contact_id_fkey" {
			reason = "a release lists it as a press contact; remove it from the release first"
		}
		return cannot(reason)
	}
	var cerr *communique.Error
	if errors.As(err, &cerr) {
		return err
	}
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return communique.Errorf(communique.ENOTFOUND, "contact %d not found", id)
	}
	return nil
}

// normalizeForWrite canonicalizes c and checks it, its status and its
// subscriptions against the stored taxonomy, returning every problem in
// one EINVALID error.
func normalizeForWrite(ctx context.Context, q sqlx.QueryerContext, c *Contact) error {
	known, err := taxonomy.LoadChecker(ctx, q)
	if err != nil {
		return err
	}
	p := texts(newNormalizer(known).normalize(c))
	switch c.Status {
	case "", StatusPending, StatusActive, StatusUnsubscribed, StatusBounced, StatusBlocked:
	default:
		p = append(p, fmt.Sprintf("status %s is not pending, active, unsubscribed, bounced or blocked", quote(c.Status)))
	}
	return communique.Invalid("invalid contact", p)
}

func emailTaken(ctx context.Context, q sqlx.QueryerContext, email string) error {
	var id int64
	detail := fmt.Sprintf("email: %s is taken", email)
	if err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM contacts WHERE lower(email) = lower($1)`, email); err == nil {
		detail = fmt.Sprintf("email: %s is taken by contact %d", email, id)
	}
	return &communique.Error{Code: communique.ECONFLICT, Message: "a contact with this address exists", Details: []string{detail}}
}

// replaceSubscriptions makes c's regions, countries and topics the
// subscriptions of contact id. With no foreign key (migration 0024), a
// deletion must not leave these behind: a transaction that updates the
// contact holds holdContactsSQL's lock, taken before it locked the
// contact; one that created it needs none, since no deletion sees the
// contact before it commits.
func replaceSubscriptions(ctx context.Context, tx *sqlx.Tx, id int64, c *Contact) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE contact_id = $1`, id); err != nil {
		return fmt.Errorf("clear subscriptions of contact %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO subscriptions (contact_id, kind, value)
		SELECT $1::bigint, 'region', unnest($2::text[])
		UNION ALL SELECT $1, 'country', unnest($3::text[])
		UNION ALL SELECT $1, 'topic', unnest($4::text[])`,
		id, pq.Array([]string(c.Regions)), pq.Array([]string(c.Countries)), pq.Array([]string(c.Topics))); err != nil {
		return fmt.Errorf("store subscriptions of contact %d: %w", id, err)
	}
	return nil
}
