package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/postgres"
)

// Store keeps media files by key. It is small on purpose, so that an
// object store can take the place of the two kept here.
//
// Put and Delete take the transaction that records the change: a store
// inside the database joins it, so a file and its row commit or roll
// back together; a store outside it ignores tx, and the Library removes
// what it put when the transaction fails.
type Store interface {
	Put(ctx context.Context, tx *sqlx.Tx, key string, r io.Reader) error
	// Get opens the file under key; ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the file under key; a missing file is no error.
	Delete(ctx context.Context, tx *sqlx.Tx, key string) error
}

// ErrNotFound is Get's answer for a key with no file.
var ErrNotFound = errors.New("media: no such file")

// PostgresStore keeps files in the media_blobs table: the default, since
// several processes may serve pages and all see the same database.
type PostgresStore struct {
	DB *sqlx.DB
}

var _ Store = (*PostgresStore)(nil)

// chunk is how much of a file Get reads from the database at a time, so
// that serving a large file does not hold it all in memory.
const chunk = 1 << 20

func (s *PostgresStore) exec(tx *sqlx.Tx) sqlx.ExecerContext {
	if tx != nil {
		return tx
	}
	return s.DB
}

// Put writes the file inside tx. lib/pq sends a bytea whole, so the file
// is read into memory: the upload limits bound it.
func (s *PostgresStore) Put(ctx context.Context, tx *sqlx.Tx, key string, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read media file %s: %w", key, err)
	}
	if _, err := s.exec(tx).ExecContext(ctx, `
		INSERT INTO media_blobs (key, data) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, created_at = now()`, key, b); err != nil {
		return fmt.Errorf("store media file %s: %w", key, err)
	}
	return nil
}

// Get returns a reader that fetches the file a chunk at a time.
func (s *PostgresStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	var size int64
	err := s.DB.GetContext(ctx, &size, `SELECT octet_length(data) FROM media_blobs WHERE key = $1`, key)
	if postgres.IsNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open media file %s: %w", key, err)
	}
	return &blobReader{ctx: ctx, db: s.DB, key: key, size: size}, nil
}

func (s *PostgresStore) Delete(ctx context.Context, tx *sqlx.Tx, key string) error {
	if _, err := s.exec(tx).ExecContext(ctx, `DELETE FROM media_blobs WHERE key = $1`, key); err != nil {
		return fmt.Errorf("delete media file %s: %w", key, err)
	}
	return nil
}

type blobReader struct {
	ctx  context.Context
	db   *sqlx.DB
	key  string
	size int64
	off  int64
	buf  []byte
}

func (b *blobReader) Read(p []byte) (int, error) {
	if len(b.buf) == 0 {
		if b.off >= b.size {
			return 0, io.EOF
		}
		// substring counts from 1. With the column stored uncompressed
		// (see migration 0019) PostgreSQL reads only the chunk's pages.
		if err := b.db.GetContext(b.ctx, &b.buf, `SELECT substring(data FROM $2 FOR $3) FROM media_blobs WHERE key = $1`,
			b.key, b.off+1, chunk); err != nil {
			if postgres.IsNoRows(err) {
				return 0, fmt.Errorf("media file %s: deleted while read: %w", b.key, io.ErrUnexpectedEOF)
			}
			return 0, fmt.Errorf("read media file %s: %w", b.key, err)
		}
		if len(b.buf) == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		b.off += int64(len(b.buf))
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *blobReader) Close() error { return nil }

// DirStore keeps files under a directory, for a single process that
// serves its own pages (COMMUNIQUE_DATA_DIR/media).
type DirStore struct {
	Root string
}

var _ Store = (*DirStore)(nil)

// keyPattern keeps keys to paths that cannot leave the root.
var keyPattern = regexp.MustCompile(`^[a-z0-9_-]+(/[a-z0-9_.-]+)*$`)

func (s *DirStore) path(key string) (string, error) {
	if !keyPattern.MatchString(key) {
		return "", fmt.Errorf("media: bad key %q", key)
	}
	return filepath.Join(s.Root, filepath.FromSlash(key)), nil
}

// Put writes a temporary file and renames it into place, so a reader
// never sees half a file.
func (s *DirStore) Put(ctx context.Context, _ *sqlx.Tx, key string, r io.Reader) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("store media file %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("store media file %s: %w", key, err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store media file %s: %w", key, err)
	}
	return nil
}

func (s *DirStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open media file %s: %w", key, err)
	}
	return f, nil
}

func (s *DirStore) Delete(_ context.Context, _ *sqlx.Tx, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete media file %s: %w", key, err)
	}
	return nil
}
