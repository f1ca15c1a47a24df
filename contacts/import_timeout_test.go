package contacts_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/contacts"
)

// stallingReader gives its rows, then waits before it ends.
type stallingReader struct {
	r     io.Reader
	stall time.Duration
}

func (s *stallingReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		time.Sleep(s.stall)
	}
	return n, err
}

// An import whose source stalls is ended by its statement timeout and
// gives its connection back with nothing written.
func TestImportStatementTimeout(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	src := &stallingReader{r: strings.NewReader(header + "a@example.org,A,,,,,,,,,,,\n"), stall: 2 * time.Second}
	start := time.Now()
	_, err := contacts.Import(ctx, db, src, contacts.ImportOptions{StatementTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("import of a stalled file: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ended after %s", d)
	}
	if n := countContacts(t, db); n != 0 {
		t.Errorf("%d contacts written", n)
	}
	// The timeout was the transaction's: the next statement has none.
	if _, err := db.ExecContext(ctx, `SELECT pg_sleep(0.5)`); err != nil {
		t.Errorf("after the import: %v", err)
	}
}
