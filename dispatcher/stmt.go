package dispatcher

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmt is a statement prepared once per process, on first use. The claim
// and the record run for every chunk of every release, and parsing and
// planning them anew each time cost PostgreSQL about as much as running
// them; prepared, each is also one round trip instead of two. database/sql
// prepares it again on each new connection, after a reconnect as well.
type stmt struct {
	query string

	mu sync.Mutex
	s  *sqlx.Stmt
}

func (p *stmt) get(ctx context.Context, db *sqlx.DB) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s == nil {
		s, err := db.PreparexContext(ctx, p.query)
		if err != nil {
			return nil, err
		}
		p.s = s
	}
	return p.s, nil
}

func (p *stmt) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s != nil {
		p.s.Close()
		p.s = nil
	}
}
