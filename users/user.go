package users

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// User is a person who signs in to the press office or owns API tokens.
type User struct {
	ID         int64     `db:"id" json:"id"`
	Email      string    `db:"email" json:"email"`
	Name       string    `db:"name" json:"name"`
	UILanguage string    `db:"ui_language" json:"ui_language"`
	Role       Role      `db:"role" json:"role"`
	Status     string    `db:"status" json:"status"`
	HasPass    bool      `db:"has_password" json:"has_password"`
	Epoch      int       `db:"session_epoch" json:"-"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
}

// User statuses.
const (
	Active   = "active"
	Disabled = "disabled"
)

// UILanguages are the languages of the press office's pages.
var UILanguages = []string{"en", "fr", "es", "ar"}

const userColumns = `id, email, name, ui_language, role, status, password_hash IS NOT NULL AS has_password, session_epoch, created_at, updated_at`

// Principal returns the principal of the user signed in.
func (u *User) Principal() Principal {
	return Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Epoch: u.Epoch}
}

// NewUser is what creating a user takes.
type NewUser struct {
	Email      string `json:"email"`
	Name       string `json:"name"`
	UILanguage string `json:"ui_language"`
	Role       Role   `json:"role"`
	Password   string `json:"password"` // optional: without it, the user signs in by a link
}

const maxName = 200

// ValidEmail reports whether s is an address a user could have: a bare
// addr-spec of at most 254 bytes, as Create accepts.
func ValidEmail(s string) bool {
	_, problems := checkEmail("email", s)
	return problems == nil
}

func checkEmail(field, s string) (string, []string) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	switch {
	case s == "":
		return "", []string{field + ": required"}
	case len(s) > 254:
		return "", []string{fmt.Sprintf("%s: longer than 254 characters", field)}
	case err != nil || a.Address != s || a.Name != "":
		return "", []string{fmt.Sprintf("%s: %q is not an e-mail address", field, s)}
	}
	return s, nil
}

func checkText(field, s string, max int) []string {
	switch {
	case !utf8.ValidString(s):
		return []string{field + ": not valid UTF-8"}
	case utf8.RuneCountInString(s) > max:
		return []string{fmt.Sprintf("%s: longer than %d characters", field, max)}
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return []string{field + ": control characters are not allowed"}
	}
	return nil
}

func checkUILanguage(field, s string) []string {
	for _, l := range UILanguages {
		if s == l {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: %q is not one of en, fr, es, ar", field, s)}
}

// Create adds a user; an address already taken is a conflict.
func Create(ctx context.Context, db sqlx.ExtContext, n NewUser) (*User, error) {
	email, details := checkEmail("email", n.Email)
	details = append(details, checkText("name", n.Name, maxName)...)
	if n.UILanguage == "" {
		n.UILanguage = "en"
	}
	details = append(details, checkUILanguage("ui_language", n.UILanguage)...)
	if !n.Role.Valid() {
		details = append(details, fmt.Sprintf("role: %q is not a role (want admin, editor, press_officer or viewer)", n.Role))
	}
	var hash *string
	if n.Password != "" {
		if d := checkPassword("password", n.Password); d != nil {
			details = append(details, d...)
		} else {
			h, err := hashPassword(n.Password)
			if err != nil {
				return nil, err
			}
			hash = &h
		}
	}
	if err := communique.Invalid("invalid user", details); err != nil {
		return nil, err
	}
	var u User
	err := sqlx.GetContext(ctx, db, &u, `
		INSERT INTO users (email, name, ui_language, role, password_hash) VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns, email, n.Name, n.UILanguage, n.Role, hash)
	if postgres.IsUniqueViolation(err, "users_email_key") {
		return nil, communique.Errorf(communique.ECONFLICT, "a user with the address %s exists", email)
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return &u, nil
}

// Get returns the user with id.
func Get(ctx context.Context, db sqlx.QueryerContext, id int64) (*User, error) {
	var u User
	err := sqlx.GetContext(ctx, db, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "user %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return &u, nil
}

// ByEmail returns the user with the address, without regard to case.
func ByEmail(ctx context.Context, db sqlx.QueryerContext, email string) (*User, error) {
	var u User
	err := sqlx.GetContext(ctx, db, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email))
	if postgres.IsNoRows(err) {
		return nil, communique.Errorf(communique.ENOTFOUND, "no user has the address %s", email)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return &u, nil
}

// List returns every user, in id order.
func List(ctx context.Context, db sqlx.QueryerContext) ([]User, error) {
	out := []User{}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// Patch changes some of a user's fields; nil fields keep their value.
type Patch struct {
	Name       *string `json:"name"`
	UILanguage *string `json:"ui_language"`
	Role       *Role   `json:"role"`
	Status     *string `json:"status"`
}

// Update applies p to the user. Disabling a user ends their sessions and
// stops their tokens; lowering a role lowers their tokens' to match.
func Update(ctx context.Context, db *sqlx.DB, id int64, p Patch) (*User, error) {
	var details []string
	if p.Name != nil {
		details = append(details, checkText("name", *p.Name, maxName)...)
	}
	if p.UILanguage != nil {
		details = append(details, checkUILanguage("ui_language", *p.UILanguage)...)
	}
	if p.Role != nil && !p.Role.Valid() {
		details = append(details, fmt.Sprintf("role: %q is not a role (want admin, editor, press_officer or viewer)", *p.Role))
	}
	if p.Status != nil && *p.Status != Active && *p.Status != Disabled {
		details = append(details, fmt.Sprintf("status: %q is not active or disabled", *p.Status))
	}
	if err := communique.Invalid("invalid user", details); err != nil {
		return nil, err
	}
	var u *User
	err := postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		if u, err = Get(ctx, tx, id); err != nil {
			return err
		}
		if p.Status != nil && *p.Status == Disabled && u.Role == Admin {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		if p.Role != nil && u.Role == Admin && *p.Role != Admin {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		var out User
		if err := tx.GetContext(ctx, &out, `
			UPDATE users SET
				name = coalesce($2, name),
				ui_language = coalesce($3, ui_language),
				role = coalesce($4, role),
				status = coalesce($5, status),
				session_epoch = session_epoch + CASE WHEN $5 = 'disabled' AND status <> 'disabled' THEN 1 ELSE 0 END,
				updated_at = now()
			WHERE id = $1 RETURNING `+userColumns, id, p.Name, p.UILanguage, p.Role, p.Status); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		u = &out
		// A token never holds more power than its owner.
		_, err = tx.ExecContext(ctx, `
			UPDATE api_tokens SET role = $2
			WHERE user_id = $1 AND revoked_at IS NULL
			  AND array_position($3::text[], role) > array_position($3::text[], $2::text)`,
			id, u.Role, roleArray())
		if err != nil {
			return fmt.Errorf("lower tokens' role: %w", err)
		}
		return nil
	})
	return u, err
}

func roleArray() any {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return pq.Array(s)
}

// keepAnAdmin refuses to remove the last active administrator other
// than the bootstrap token.
func keepAnAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var others int
	if err := tx.GetContext(ctx, &others, `SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active' AND id <> $1`, id); err != nil {
		return fmt.Errorf("count administrators: %w", err)
	}
	if others == 0 {
		return communique.Errorf(communique.ECONFLICT, "user %d is the last active administrator", id)
	}
	return nil
}

// Disable disables the user with the address.
func Disable(ctx context.Context, db *sqlx.DB, email string) (*User, error) {
	u, err := ByEmail(ctx, db, email)
	if err != nil {
		return nil, err
	}
	s := Disabled
	return Update(ctx, db, u.ID, Patch{Status: &s})
}

// Delete removes a user who never acted; one who did is disabled instead,
// so the audit log keeps naming someone who existed.
func Delete(ctx context.Context, db *sqlx.DB, id int64) error {
	return postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		u, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.Role == Admin && u.Status == Active {
			if err := keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		var acted bool
		if err := tx.GetContext(ctx, &acted, `
			SELECT EXISTS (SELECT 1 FROM audit_log WHERE actor = 'user:' || $1
			   OR actor IN (SELECT 'token:' || name FROM api_tokens WHERE user_id = $2))`, u.Email, id); err != nil {
			return fmt.Errorf("check audit log: %w", err)
		}
		if acted {
			return communique.Errorf(communique.ECONFLICT, "user %s has acted (see the audit log): disable them instead", u.Email)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		return nil
	})
}
