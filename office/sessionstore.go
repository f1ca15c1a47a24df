package office

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// sessionStore keeps the office's sessions in PostgreSQL, in the table
// of migrations 0012 and 0025. A session once deleted stays deleted: the
// session manager saves every session it loaded at the end of each
// request, so a request that loaded a session before its sign-out and
// answered after it would otherwise put it back, user and all. Deleting
// leaves an empty row marked ended, which no save overwrites, for as long
// as such a save could carry a deadline still to come.
type sessionStore struct {
	db *sql.DB
	// keep is how long an ended session's row stays: a session's
	// lifetime, past which any copy of it has expired anyway.
	keep time.Duration
	log  *slog.Logger

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// newSessionStore returns a store that deletes expired rows every
// cleanup until Stop.
func newSessionStore(db *sql.DB, keep, cleanup time.Duration, log *slog.Logger) *sessionStore {
	s := &sessionStore{db: db, keep: keep, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go s.sweep(cleanup)
	return s
}

func (s *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM sessions
		WHERE token = $1 AND NOT ended AND now() < expiry`, token).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (s *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry
		WHERE NOT sessions.ended`, token, b, expiry)
	return err
}

func (s *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	// An upsert, not an update: a session ended before its first save
	// must not be saved afterwards either.
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry, ended)
		VALUES ($1, '', now() + make_interval(secs => $2), true)
		ON CONFLICT (token) DO UPDATE SET data = '', expiry = EXCLUDED.expiry, ended = true`,
		token, s.keep.Seconds())
	return err
}

func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *sessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

func (s *sessionStore) sweep(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.db.Exec(`DELETE FROM sessions WHERE expiry < now()`); err != nil {
				s.log.Warn("sweeping expired sessions", "err", err)
			}
		}
	}
}

// Stop ends the sweep and waits for it; calling it again does nothing.
func (s *sessionStore) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}
