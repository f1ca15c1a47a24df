package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// Token is an API token as listed: never the token itself, which is shown
// once at creation and stored only as a hash.
type Token struct {
	ID         int64      `db:"id" json:"id"`
	UserID     int64      `db:"user_id" json:"user_id"`
	UserEmail  string     `db:"user_email" json:"user"`
	Name       string     `db:"name" json:"name"`
	Role       Role       `db:"role" json:"role"`
	Prefix     string     `db:"prefix" json:"prefix"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	ExpiresAt  *time.Time `db:"expires_at" json:"expires_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
}

// tokenPrefix starts every API token, so that a leaked one is easy to
// recognise in a scan of code or logs.
const tokenPrefix = "cqt_"

// NewToken is what creating a token takes.
type NewToken struct {
	UserID int64
	Name   string
	// Role defaults to the owner's, and may not be above it.
	Role Role
	// TTL, when positive, makes the token expire.
	TTL time.Duration
}

const tokenColumns = `t.id, t.user_id, u.email AS user_email, t.name, t.role, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// CreateToken makes a token for a user and returns it with the secret,
// which is never available again.
func CreateToken(ctx context.Context, db *sqlx.DB, n NewToken) (*Token, string, error) {
	var details []string
	n.Name = strings.TrimSpace(n.Name)
	switch {
	case n.Name == "":
		details = append(details, "name: required")
	case len(n.Name) > 100 || strings.ContainsFunc(n.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		details = append(details, "name: at most 100 characters, without spaces or control characters")
	}
	if n.Role != "" && !n.Role.Valid() {
		details = append(details, fmt.Sprintf("role: %q is not a role (want admin, editor, press_officer or viewer)", n.Role))
	}
	if n.TTL < 0 {
		details = append(details, "expires: must be in the future")
	}
	if err := communique.Invalid("invalid token", details); err != nil {
		return nil, "", err
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var tok Token
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		owner, err := Get(ctx, tx, n.UserID)
		if err != nil {
			return err
		}
		if owner.Status != Active {
			return communique.Errorf(communique.ECONFLICT, "user %s is disabled", owner.Email)
		}
		role := n.Role
		if role == "" {
			role = owner.Role
		}
		if !owner.Role.AtLeast(role) {
			return communique.Invalid("invalid token", []string{fmt.Sprintf("role: %s is above the owner's role, %s", role, owner.Role)})
		}
		var expires *time.Time
		if n.TTL > 0 {
			t := time.Now().Add(n.TTL)
			expires = &t
		}
		var id int64
		err = tx.GetContext(ctx, &id, `
			INSERT INTO api_tokens (user_id, name, role, prefix, hash, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			owner.ID, n.Name, role, secret[:len(tokenPrefix)+6], hashToken(secret), expires)
		if postgres.IsUniqueViolation(err, "api_tokens_name_key") {
			return communique.Errorf(communique.ECONFLICT, "a token named %s exists: revoke it or choose another name", n.Name)
		}
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return tx.GetContext(ctx, &tok, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id)
	})
	if err != nil {
		return nil, "", err
	}
	return &tok, secret, nil
}

// TokenFilter selects tokens.
type TokenFilter struct {
	UserID         int64 // 0: every user's
	IncludeRevoked bool
}

// ListTokens lists tokens, newest first.
func ListTokens(ctx context.Context, db sqlx.QueryerContext, f TokenFilter) ([]Token, error) {
	out := []Token{}
	if err := sqlx.SelectContext(ctx, db, &out, `
		SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE ($1 = 0 OR t.user_id = $1) AND ($2 OR t.revoked_at IS NULL)
		ORDER BY t.id DESC`, f.UserID, f.IncludeRevoked); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// GetToken returns a token by id.
func GetToken(ctx context.Context, db sqlx.QueryerContext, id int64) (*Token, error) {
	var t Token
	err := sqlx.GetContext(ctx, db, &t, `SELECT `+tokenColumns+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "token %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	return &t, nil
}

// RevokeToken revokes a live token by id; revoking one already revoked
// changes nothing.
func RevokeToken(ctx context.Context, db *sqlx.DB, id int64) (*Token, error) {
	if _, err := db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id); err != nil {
		return nil, fmt.Errorf("revoke token: %w", err)
	}
	return GetToken(ctx, db, id)
}

// RevokeTokenNamed revokes the live token with the name.
func RevokeTokenNamed(ctx context.Context, db *sqlx.DB, name string) (*Token, error) {
	var id int64
	err := db.GetContext(ctx, &id, `SELECT id FROM api_tokens WHERE lower(name) = lower($1) AND revoked_at IS NULL`, name)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "no live token is named %s", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return RevokeToken(ctx, db, id)
}

// lastUsedEvery bounds the writes that record a token's use.
const lastUsedEvery = time.Minute

// Authenticate returns the principal of a live API token: its owner
// active, the token neither revoked nor expired. Anything else is
// unauthorized, with a reason that tells the caller what to do and reveals
// nothing about other tokens.
func Authenticate(ctx context.Context, db *sqlx.DB, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "a valid bearer token is required")
	}
	var row struct {
		ID        int64      `db:"id"`
		Name      string     `db:"name"`
		Role      Role       `db:"role"`
		ExpiresAt *time.Time `db:"expires_at"`
		RevokedAt *time.Time `db:"revoked_at"`
		LastUsed  *time.Time `db:"last_used_at"`
		UserID    int64      `db:"user_id"`
		Email     string     `db:"email"`
		UserName  string     `db:"user_name"`
		Status    string     `db:"status"`
	}
	err := db.GetContext(ctx, &row, `
		SELECT t.id, t.name, t.role, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.email, u.name AS user_name, u.status
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hashToken(secret))
	if postgres.IsNoRows(err) {
		return Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "a valid bearer token is required")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	now := time.Now()
	switch {
	case row.RevokedAt != nil:
		return Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "this token was revoked")
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt):
		return Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "this token expired")
	case row.Status != Active:
		return Principal{}, communique.Errorf(communique.EUNAUTHORIZED, "this token's user is disabled")
	}
	if row.LastUsed == nil || now.Sub(*row.LastUsed) > lastUsedEvery {
		if _, err := db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, row.ID); err != nil {
			return Principal{}, fmt.Errorf("record token use: %w", err)
		}
	}
	return Principal{UserID: row.UserID, Email: row.Email, Name: row.UserName, Role: row.Role, TokenID: row.ID, TokenName: row.Name}, nil
}

// ParseTTL reads a token lifetime such as "90d", "12h" or "30m".
func ParseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != d {
			return 0, fmt.Errorf("%q: want a number of days such as 90d, or a duration such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a number of days such as 90d, or a duration such as 12h", s)
	}
	return d, nil
}
