package users

import (
	"context"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/postgres"
)

// argon2id's parameters: OWASP's first recommendation (19 MiB, two
// passes, one lane), which keeps a burst of sign-ins within a small
// machine's memory.
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const (
	minPassword = 12
	maxPassword = 256
)

func checkPassword(field, p string) []string {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return []string{field + ": not valid UTF-8"}
	case n < minPassword:
		return []string{fmt.Sprintf("%s: at least %d characters", field, minPassword)}
	case n > maxPassword:
		return []string{fmt.Sprintf("%s: at most %d characters", field, maxPassword)}
	}
	return nil
}

func hashPassword(p string) (string, error) {
	h, err := argon2id.CreateHash(p, params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummyHash is compared against when no user has the address, so that an
// unknown address costs what a known one does.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.CreateHash("no user has this password", params)
	return h
})

// SetPassword replaces a user's password and ends their other sessions
// (the session epoch moves); it returns the new epoch.
func SetPassword(ctx context.Context, db *sqlx.DB, id int64, password string) (int, error) {
	if err := communique.Invalid("invalid password", checkPassword("password", password)); err != nil {
		return 0, err
	}
	h, err := hashPassword(password)
	if err != nil {
		return 0, err
	}
	var epoch int
	err = postgres.Tx(ctx, db, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &epoch, `
			UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now()
			WHERE id = $1 RETURNING session_epoch`, id, h)
		if postgres.IsNoRows(err) {
			return communique.Errorf(communique.ENOTFOUND, "user %d not found", id)
		}
		return err
	})
	return epoch, err
}
