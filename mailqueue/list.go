package mailqueue

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// Message is a queued message as lists show it, without its bytes.
type Message struct {
	ID            int64      `db:"id" json:"id"`
	Kind          string     `db:"kind" json:"kind"`
	To            string     `db:"to_email" json:"to"`
	Language      string     `db:"language" json:"language"`
	Status        string     `db:"status" json:"status"`
	Attempts      int        `db:"attempts" json:"attempts"`
	SMTPCode      *int       `db:"smtp_code" json:"smtp_code"`
	SMTPReply     string     `db:"smtp_reply" json:"smtp_reply"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	NextAttemptAt *time.Time `db:"next_attempt_at" json:"next_attempt_at"`
	SentAt        *time.Time `db:"sent_at" json:"sent_at"`
	ContactID     *int64     `db:"contact_id" json:"contact_id"`
	UserID        *int64     `db:"user_id" json:"user_id"`
	ReleaseID     *int64     `db:"release_id" json:"release_id"`
}

// Filter selects messages; zero fields select everything. After is the
// last id of the previous page (keyset paging, newest first).
type Filter struct {
	Kind, Status         string
	ContactID, ReleaseID int64
	After                int64
	Limit                int
}

// List returns up to f.Limit messages matching f, newest first.
func List(ctx context.Context, db sqlx.QueryerContext, f Filter) ([]Message, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	out := []Message{}
	// next_attempt_at means something only while there is one to come.
	if err := sqlx.SelectContext(ctx, db, &out, `
		SELECT id, kind, to_email, language, status, attempts, smtp_code, smtp_reply, created_at,
		       CASE WHEN status IN ('queued', 'deferred') THEN next_attempt_at END AS next_attempt_at,
		       sent_at, contact_id, user_id, release_id
		FROM messages
		WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR status = $2)
		  AND ($3 = 0 OR contact_id = $3) AND ($4 = 0 OR release_id = $4)
		  AND ($5 = 0 OR id < $5)
		ORDER BY id DESC LIMIT $6`,
		f.Kind, f.Status, f.ContactID, f.ReleaseID, f.After, f.Limit); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return out, nil
}

// ReleaseCounts returns the messages of release id by kind, then status.
func ReleaseCounts(ctx context.Context, db sqlx.QueryerContext, id int64) (map[string]map[string]int, error) {
	var rows []struct {
		Kind   string `db:"kind"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `
		SELECT kind, status, count(*) AS n FROM messages WHERE release_id = $1 GROUP BY 1, 2`, id); err != nil {
		return nil, fmt.Errorf("messages of release %d: %w", id, err)
	}
	out := map[string]map[string]int{}
	for _, r := range rows {
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]int{}
		}
		out[r.Kind][r.Status] = r.N
	}
	return out, nil
}

// ValidKind reports whether k is a kind of message.
func ValidKind(k string) bool { return slices.Contains(Kinds, k) }

// ValidStatus reports whether s is a message status.
func ValidStatus(s string) bool { return slices.Contains(Statuses, s) }
