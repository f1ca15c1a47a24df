package contacts

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// SubscriptionRequest is a journalist's request from the public subscribe
// page. Nothing it holds takes effect before the address confirms it.
type SubscriptionRequest struct {
	Email, Name, Organisation string
	// Country is where the journalist works, or "".
	Country string
	// Languages are BCP 47 tags, most preferred first.
	Languages                  []string
	Timezone                   string
	Regions, Countries, Topics []string
	// Source says how consent was asked ("subscribe form") and IP from
	// which client address; both go to the consent record.
	Source, IP string
}

// RequestOutcome says what a subscription request did, and so which mail,
// if any, the address should get.
type RequestOutcome string

const (
	// RequestPending: the contact is pending, with the request's details
	// and consent record, until it confirms; send a confirmation mail.
	RequestPending RequestOutcome = "pending"
	// RequestActive: the address is subscribed already and nothing changed;
	// its confirmation link leads to its preferences.
	RequestActive RequestOutcome = "already_active"
	// RequestRefused: the address bounced, complained or is blocked, or
	// belongs to a mission or press officer, who never self-subscribe;
	// send nothing.
	RequestRefused RequestOutcome = "refused"
	// RequestLimited: the address was sent MaxRequestedMails confirmations
	// within RequestedMailWindow; nothing changed, send nothing.
	RequestLimited RequestOutcome = "limited"
)

// At most MaxRequestedMails mails of each kind go to one contact within
// RequestedMailWindow because someone asked on a public page: whoever
// asks cannot be told apart from the address's owner, so without a cap
// anyone could use the service to flood an inbox.
const (
	MaxRequestedMails   = 3
	RequestedMailWindow = 24 * time.Hour
)

// Kinds of requested mail, counted apart.
const (
	mailConfirmation = "confirmation"
	mailPreferences  = "preferences"
)

// errNoSubscription is the problem of a subscriber who follows nothing.
const errNoSubscription = "subscriptions: choose at least one region, country or topic"

func (req *SubscriptionRequest) contact() *Contact {
	return &Contact{Email: req.Email, Kind: KindJournalist, Name: req.Name, Organisation: req.Organisation,
		Country: req.Country, Languages: req.Languages, Timezone: req.Timezone,
		Regions: req.Regions, Countries: req.Countries, Topics: req.Topics}
}

// CheckSubscription checks req as RequestSubscription does, an EINVALID
// error naming each bad field, without looking at the address's contact:
// its answer and the time it takes are the same whoever the address
// belongs to.
func CheckSubscription(ctx context.Context, q sqlx.QueryerContext, req SubscriptionRequest) error {
	return normalizeSubscriber(ctx, q, req.contact())
}

// RequestSubscription records a request from the public subscribe page. A
// new address becomes a pending journalist; a pending one, or one that
// unsubscribed, is updated and made pending again, so subscribing again
// always needs a new confirmation, and an unsubscribed address stays
// suppressed until then. Active, suppressed and non-journalist addresses
// are left as they are, and so is an address that was sent its
// MaxRequestedMails confirmations in the last RequestedMailWindow. A
// pending or active outcome counts as one confirmation mail sent. It
// returns the contact's id (0 when refused).
func RequestSubscription(ctx context.Context, db *sqlx.DB, req SubscriptionRequest) (int64, RequestOutcome, error) {
	return RequestSubscriptionMail(ctx, db, req, nil)
}

// MailFunc queues the mail a request calls for, to contact id at email,
// in the transaction tx that records the request: the mail exists if and
// only if the request does, and an error undoes the request.
type MailFunc func(ctx context.Context, tx *sqlx.Tx, id int64, email string, outcome RequestOutcome) error

// RequestSubscriptionMail is RequestSubscription calling mail (when not
// nil) in its transaction for a pending or active outcome: the ones that
// count a confirmation mail.
func RequestSubscriptionMail(ctx context.Context, db *sqlx.DB, req SubscriptionRequest, mail MailFunc) (int64, RequestOutcome, error) {
	c := req.contact()
	queue := func(tx *sqlx.Tx, id int64, outcome RequestOutcome) error {
		if mail == nil {
			return nil
		}
		return mail(ctx, tx, id, c.Email, outcome)
	}
	if err := normalizeSubscriber(ctx, db, c); err != nil {
		return 0, "", err
	}
	var (
		id      int64
		outcome RequestOutcome
	)
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		// Two requests for one new address must not both insert it.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('communique.subscribe:' || lower($1)))`, c.Email); err != nil {
			return fmt.Errorf("subscribe %s: lock: %w", c.Email, err)
		}
		reason, err := suppressionReason(ctx, tx, c.Email)
		if err != nil {
			return err
		}
		if reason != "" && reason != ReasonUnsubscribed {
			outcome = RequestRefused
			return nil
		}
		var cur struct {
			ID     int64  `db:"id"`
			Kind   string `db:"kind"`
			Status string `db:"status"`
		}
		err = tx.GetContext(ctx, &cur, `SELECT id, kind, status FROM contacts WHERE lower(email) = lower($1) FOR UPDATE`, c.Email)
		switch {
		case postgres.IsNoRows(err):
			if err := tx.GetContext(ctx, &id, `
				INSERT INTO contacts (email, kind, name, organisation, country, languages, timezone,
					status, consent_at, consent_source, consent_ip)
				VALUES ($1, 'journalist', $2, $3, nullif($4, ''), $5, $6, 'pending', now(), $7, $8)
				RETURNING id`,
				c.Email, c.Name, c.Organisation, c.Country, c.Languages, c.Timezone, req.Source, req.IP); err != nil {
				return fmt.Errorf("subscribe %s: insert: %w", c.Email, err)
			}
			outcome = RequestPending
			if _, err := countMail(ctx, tx, id, mailConfirmation); err != nil {
				return err
			}
			if err := replaceSubscriptions(ctx, tx, id, c); err != nil {
				return err
			}
			return queue(tx, id, outcome)
		case err != nil:
			return fmt.Errorf("subscribe %s: %w", c.Email, err)
		}
		id = cur.ID
		if cur.Kind != KindJournalist || cur.Status == StatusBounced || cur.Status == StatusBlocked {
			id, outcome = 0, RequestRefused
			return nil
		}
		switch due, err := countMail(ctx, tx, id, mailConfirmation); {
		case err != nil:
			return err
		case !due:
			outcome = RequestLimited
			return nil
		case cur.Status == StatusActive:
			outcome = RequestActive
			return queue(tx, id, outcome)
		}
		// Pending or unsubscribed: the new request replaces what was asked.
		if _, err := tx.ExecContext(ctx, `
			UPDATE contacts SET name = $2, organisation = $3, country = nullif($4, ''), languages = $5,
				timezone = $6, status = 'pending', consent_at = now(), consent_source = $7, consent_ip = $8,
				confirmed_at = NULL, confirmed_ip = '', updated_at = now()
			WHERE id = $1`,
			id, c.Name, c.Organisation, c.Country, c.Languages, c.Timezone, req.Source, req.IP); err != nil {
			return fmt.Errorf("subscribe %s: update: %w", c.Email, err)
		}
		outcome = RequestPending
		if err := replaceSubscriptions(ctx, tx, id, c); err != nil {
			return err
		}
		return queue(tx, id, outcome)
	})
	if err != nil {
		return 0, "", err
	}
	return id, outcome, nil
}

// RequestPreferencesLink records that contact id asked to be mailed a
// link to its preferences, and reports whether to send it: not to a
// contact that receives nothing (unsubscribed, bounced, blocked), nor past
// MaxRequestedMails such links in RequestedMailWindow. A missing contact
// is an ENOTFOUND error.
func RequestPreferencesLink(ctx context.Context, db *sqlx.DB, id int64) (*Contact, bool, error) {
	return RequestPreferencesLinkMail(ctx, db, id, nil)
}

// RequestPreferencesLinkMail is RequestPreferencesLink calling mail (when
// not nil) in its transaction when the link is due.
func RequestPreferencesLinkMail(ctx context.Context, db *sqlx.DB, id int64, mail MailFunc) (*Contact, bool, error) {
	due := false
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		cur, err := lockContact(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusActive && cur.Status != StatusPending {
			return nil
		}
		if due, err = countMail(ctx, tx, id, mailPreferences); err != nil || !due || mail == nil {
			return err
		}
		return mail(ctx, tx, id, cur.Email, RequestActive)
	})
	if err != nil {
		return nil, false, err
	}
	c, err := Get(ctx, db, id)
	if err != nil {
		return nil, false, err
	}
	return c, due, nil
}

// countMail records one requested mail of kind to contact id and reports
// true, unless the contact had its MaxRequestedMails of that kind within
// RequestedMailWindow. The caller holds the contact's lock, so two
// requests cannot both take the last one. Older records go as it looks.
func countMail(ctx context.Context, tx *sqlx.Tx, id int64, kind string) (bool, error) {
	window := fmt.Sprintf("%d seconds", int(RequestedMailWindow.Seconds()))
	if _, err := tx.ExecContext(ctx, `DELETE FROM subscriber_mails WHERE contact_id = $1 AND sent_at <= now() - $2::interval`,
		id, window); err != nil {
		return false, fmt.Errorf("count %s mails of contact %d: %w", kind, id, err)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO subscriber_mails (contact_id, kind)
		SELECT $1, $2 WHERE (SELECT count(*) FROM subscriber_mails WHERE contact_id = $1 AND kind = $2) < $3`,
		id, kind, MaxRequestedMails)
	if err != nil {
		return false, fmt.Errorf("count %s mails of contact %d: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("count %s mails of contact %d: %w", kind, id, err)
	}
	return n == 1, nil
}

// ConfirmOutcome says what a click on a confirmation link did.
type ConfirmOutcome string

const (
	// Confirmed: the pending contact is active now.
	Confirmed ConfirmOutcome = "confirmed"
	// AlreadyActive: the contact was active already; nothing changed.
	AlreadyActive ConfirmOutcome = "already_active"
	// NotPending: the contact unsubscribed, bounced or was blocked after
	// the link was sent; nothing changed.
	NotPending ConfirmOutcome = "not_pending"
	// ConfirmRefused: the address bounced, complained or is blocked; a
	// confirmation does not lift that.
	ConfirmRefused ConfirmOutcome = "refused"
)

// Confirm activates pending contact id, recording the time and the client
// address ip of the confirmation, and lifts the suppression left by an
// earlier unsubscription. It never activates an address suppressed for any
// other reason. A missing contact is an ENOTFOUND error.
func Confirm(ctx context.Context, db *sqlx.DB, id int64, ip string) (*Contact, ConfirmOutcome, error) {
	var outcome ConfirmOutcome
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		cur, err := lockContact(ctx, tx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case StatusActive:
			outcome = AlreadyActive
			return nil
		case StatusPending:
		default:
			outcome = NotPending
			return nil
		}
		reason, err := suppressionReason(ctx, tx, cur.Email)
		if err != nil {
			return err
		}
		if reason != "" && reason != ReasonUnsubscribed {
			outcome = ConfirmRefused
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE email = lower($1) AND reason = 'unsubscribed'`, cur.Email); err != nil {
			return fmt.Errorf("confirm contact %d: lift unsubscription: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE contacts SET status = 'active', confirmed_at = now(), confirmed_ip = $2, updated_at = now()
			WHERE id = $1`, id, ip); err != nil {
			return fmt.Errorf("confirm contact %d: %w", id, err)
		}
		outcome = Confirmed
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	c, err := Get(ctx, db, id)
	return c, outcome, err
}

// Unsubscribe makes contact id unsubscribed and suppresses its address, at
// once and for every release. A bounced or blocked contact keeps that
// status, and an existing suppression its reason. A missing contact is an
// ENOTFOUND error.
func Unsubscribe(ctx context.Context, db *sqlx.DB, id int64, detail string) (*Contact, error) {
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		cur, err := lockContact(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status == StatusActive || cur.Status == StatusPending {
			if _, err := tx.ExecContext(ctx, `UPDATE contacts SET status = 'unsubscribed', updated_at = now() WHERE id = $1`, id); err != nil {
				return fmt.Errorf("unsubscribe contact %d: %w", id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO suppressions (email, reason, detail) VALUES (lower($1), 'unsubscribed', $2)
			ON CONFLICT (email) DO NOTHING`, cur.Email, detail); err != nil {
			return fmt.Errorf("unsubscribe contact %d: suppress: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, id)
}

// Preferences are what subscribers change themselves.
type Preferences struct {
	Name, Organisation         string
	Languages                  []string
	Timezone                   string
	Regions, Countries, Topics []string
}

// SetPreferences replaces contact id's name, organisation, languages, time
// zone and subscriptions. It never changes the status: an unsubscribed
// contact stays unsubscribed. A missing contact is an ENOTFOUND error,
// bad values an EINVALID one naming each.
func SetPreferences(ctx context.Context, db *sqlx.DB, id int64, p Preferences) (*Contact, error) {
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		cur, err := lockContact(ctx, tx, id)
		if err != nil {
			return err
		}
		c := &Contact{Email: cur.Email, Kind: cur.Kind, Country: cur.Country, Name: p.Name,
			Organisation: p.Organisation, Languages: p.Languages, Timezone: p.Timezone,
			Regions: p.Regions, Countries: p.Countries, Topics: p.Topics}
		if err := normalizeSubscriber(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE contacts SET name = $2, organisation = $3, languages = $4, timezone = $5, updated_at = now()
			WHERE id = $1`, id, c.Name, c.Organisation, c.Languages, c.Timezone); err != nil {
			return fmt.Errorf("set preferences of contact %d: %w", id, err)
		}
		return replaceSubscriptions(ctx, tx, id, c)
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, id)
}

// normalizeSubscriber checks a self-service subscriber: a contact that
// follows at least one region, country or topic.
func normalizeSubscriber(ctx context.Context, q sqlx.QueryerContext, c *Contact) error {
	err := normalizeForWrite(ctx, q, c)
	if len(c.Regions)+len(c.Countries)+len(c.Topics) > 0 {
		return err
	}
	if err == nil {
		return communique.Invalid("invalid subscription", []string{errNoSubscription})
	}
	if communique.ErrorCode(err) == communique.EINVALID {
		return communique.Invalid("invalid subscription", append(communique.ErrorDetails(err), errNoSubscription))
	}
	return err
}

type lockedContact struct {
	Email   string `db:"email"`
	Kind    string `db:"kind"`
	Country string `db:"country"`
	Status  string `db:"status"`
}

func lockContact(ctx context.Context, tx *sqlx.Tx, id int64) (*lockedContact, error) {
	var c lockedContact
	err := tx.GetContext(ctx, &c, `SELECT email, kind, coalesce(country, '') AS country, status FROM contacts WHERE id = $1 FOR UPDATE`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "contact %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock contact %d: %w", id, err)
	}
	return &c, nil
}
