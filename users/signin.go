package users

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Throttle bounds failed sign-ins, per account and per client, within a
// sliding window. Failures are kept in PostgreSQL, so neither a restart
// nor a flood of other keys forgets them.
type Throttle struct {
	Window     time.Duration // 15 minutes when zero
	PerAccount int           // 5 when zero
	PerClient  int           // 20 when zero
}

func (t Throttle) window() time.Duration {
	if t.Window > 0 {
		return t.Window
	}
	return 15 * time.Minute
}

func or(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// ErrThrottled is returned while an account or a client has failed too
// often; it says when to try again.
func errThrottled(wait time.Duration) error {
	return communique.Errorf(communique.EBUSY, "too many failed sign-ins: try again in %d minutes", int(wait.Minutes())+1)
}

// SignIn checks an address and password. A wrong password, an unknown
// address and a disabled user all fail alike, in the same time; failures
// count against the account and the client.
func SignIn(ctx context.Context, db *sqlx.DB, th Throttle, email, password, client string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acct, cl := "account:"+email, "client:"+client
	if wait, err := th.blocked(ctx, db, acct, cl); err != nil {
		return nil, err
	} else if wait > 0 {
		return nil, errThrottled(wait)
	}
	var row struct {
		ID   int64   `db:"id"`
		Hash *string `db:"password_hash"`
	}
	err := db.GetContext(ctx, &row, `SELECT id, password_hash FROM users WHERE lower(email) = $1 AND status = 'active'`, email)
	if err != nil && !postgres.IsNoRows(err) {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	hash := dummyHash()
	if row.Hash != nil {
		hash = *row.Hash
	}
	ok, herr := argon2id.ComparePasswordAndHash(password, hash)
	if herr != nil || !ok || row.Hash == nil {
		if _, err := db.ExecContext(ctx, `INSERT INTO signin_failures (key) VALUES ($1), ($2)`, acct, cl); err != nil {
			return nil, fmt.Errorf("record failed sign-in: %w", err)
		}
		return nil, communique.Errorf(communique.EUNAUTHORIZED, "wrong address or password")
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM signin_failures WHERE key = $1 OR at < now() - $2::interval`, acct, th.window().String()); err != nil {
		return nil, fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return Get(ctx, db, row.ID)
}

// blocked returns how long the account or client must wait, or 0.
func (t Throttle) blocked(ctx context.Context, db *sqlx.DB, acct, client string) (time.Duration, error) {
	var rows []struct {
		Key    string    `db:"key"`
		N      int       `db:"n"`
		Oldest time.Time `db:"oldest"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT key, count(*) AS n, min(at) AS oldest FROM signin_failures
		WHERE key IN ($1, $2) AND at > now() - $3::interval GROUP BY key`,
		acct, client, t.window().String()); err != nil {
		return 0, fmt.Errorf("check failed sign-ins: %w", err)
	}
	var wait time.Duration
	for _, r := range rows {
		limit := or(t.PerAccount, 5)
		if r.Key == client {
			limit = or(t.PerClient, 20)
		}
		if r.N >= limit {
			wait = max(wait, time.Until(r.Oldest.Add(t.window())))
		}
	}
	return wait, nil
}

// Link purposes.
const (
	SignInLink = "signin" // a new user's first sign-in: they set a password
	ResetLink  = "reset"  // a forgotten password
)

// WelcomeLinkTTL is how long a new user's link to set a password works.
const WelcomeLinkTTL = 72 * time.Hour

// WelcomeURL is the press office's page where a new user sets a password
// with the link token tok; base is the service's public URL.
func WelcomeURL(base, tok string) string {
	return strings.TrimRight(base, "/") + "/office/welcome/" + tok
}

// IssueLink makes a one-time link token for the user, valid for ttl.
// Issuing a new one voids the user's earlier links of the same purpose.
func IssueLink(ctx context.Context, db *sqlx.DB, userID int64, purpose string, ttl time.Duration) (string, error) {
	var tok string
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) (err error) {
		tok, err = IssueLinkTx(ctx, tx, userID, purpose, ttl)
		return err
	})
	return tok, err
}

// IssueLinkTx is IssueLink within tx, so that the mail carrying the link
// can be queued in the same transaction.
func IssueLinkTx(ctx context.Context, tx sqlx.ExecerContext, userID int64, purpose string, ttl time.Duration) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	if _, err := tx.ExecContext(ctx, `UPDATE user_links SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, purpose); err != nil {
		return "", fmt.Errorf("issue link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO user_links (hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, now() + $4::interval)`,
		hashToken(tok), userID, purpose, ttl.String()); err != nil {
		return "", fmt.Errorf("issue link: %w", err)
	}
	return tok, nil
}

// CheckLink returns the user of a live link without using it up, so that
// the page it opens can ask for a new password.
func CheckLink(ctx context.Context, db *sqlx.DB, tok, purpose string) (*User, error) {
	var id int64
	err := db.GetContext(ctx, &id, `
		SELECT l.user_id FROM user_links l JOIN users u ON u.id = l.user_id
		WHERE l.hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > now() AND u.status = 'active'`,
		hashToken(tok), purpose)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "this link has expired or was already used")
	}
	if err != nil {
		return nil, fmt.Errorf("check link: %w", err)
	}
	return Get(ctx, db, id)
}

// UseLink uses up a live link and sets the user's password with it, in
// one transaction; it returns the user with their new session epoch.
func UseLink(ctx context.Context, db *sqlx.DB, tok, purpose, password string) (*User, error) {
	if err := communique.Invalid("invalid password", checkPassword("password", password)); err != nil {
		return nil, err
	}
	h, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	var id int64
	err = postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `
			UPDATE user_links l SET used_at = now() FROM users u
			WHERE l.hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > now()
			  AND u.id = l.user_id AND u.status = 'active'
			RETURNING l.user_id`, hashToken(tok), purpose)
		if postgres.IsNoRows(err) {
			return communique.Errorf(communique.ENOTFOUND, "this link has expired or was already used")
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1`, id, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, id)
}
