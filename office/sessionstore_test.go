package office

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestSessionStoreKeepsEndedSessionsEnded(t *testing.T) {
	t.Parallel()
	db, _ := testDB(t)
	s := newSessionStore(db.DB, time.Hour, 20*time.Millisecond, slog.New(slog.DiscardHandler))
	defer s.Stop()
	ctx := context.Background()
	later := time.Now().Add(time.Hour)

	if err := s.CommitCtx(ctx, "a", []byte("signed in"), later); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := s.FindCtx(ctx, "a"); err != nil || !ok || string(b) != "signed in" {
		t.Fatalf("find a saved session: %q %v %v", b, ok, err)
	}
	// Ended, then saved by a request that loaded it before: still ended.
	// So is a session ended before it was ever saved.
	for _, token := range []string{"a", "never saved"} {
		if err := s.DeleteCtx(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, token, []byte("signed in"), later); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := s.FindCtx(ctx, token); err != nil || ok {
			t.Errorf("session %q after it ended and was saved again: %q %v %v", token, b, ok, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM sessions WHERE data <> ''`); n != 0 {
		t.Errorf("%d ended sessions kept their data", n)
	}

	// Expired sessions are swept, ended or not; a live one stays.
	if err := s.CommitCtx(ctx, "b", []byte("live"), later); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitCtx(ctx, "c", []byte("expired"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FindCtx(ctx, "c"); ok {
		t.Error("an expired session was found")
	}
	if _, err := db.Exec(`UPDATE sessions SET expiry = now() - interval '1 second' WHERE ended`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for count(t, db, `SELECT count(*) FROM sessions WHERE token <> 'b'`) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("expired sessions not swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok, _ := s.FindCtx(ctx, "b"); !ok {
		t.Error("the sweep took a live session")
	}
	s.Stop() // a second Stop must not block
}
