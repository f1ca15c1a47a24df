package contacts

import (
	"context"
	"fmt"
	"math"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// LanguageMap is the chosen language of each distinct preference list.
type LanguageMap struct{ keys, langs []string }

// NewLanguageMap asks choose for every distinct preference list among
// active contacts.
func NewLanguageMap(ctx context.Context, q sqlx.QueryerContext, choose LanguageChooser) (LanguageMap, error) {
	return NewLanguageMapRange(ctx, q, choose, 1, math.MaxInt64)
}

// NewLanguageMapRange is NewLanguageMap for the contacts whose ids lie in
// [fromID, toID]: a chunk's lists are read in milliseconds where all of a
// million contacts' take a good part of a second, which the first chunk
// of a release must not wait for.
func NewLanguageMapRange(ctx context.Context, q sqlx.QueryerContext, choose LanguageChooser, fromID, toID int64) (LanguageMap, error) {
	keys, langs, err := languageMap(ctx, q, choose, fromID, toID)
	return LanguageMap{keys, langs}, err
}

// MaxContactID is the upper bound of contact ids, for chunking an audience.
func MaxContactID(ctx context.Context, q sqlx.QueryerContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, q, &id, `SELECT coalesce(max(id), 0) FROM contacts`); err != nil {
		return 0, fmt.Errorf("max contact id: %w", err)
	}
	return id, nil
}

// InsertPublicAudienceRange is InsertPublicAudience for the contacts whose
// ids lie in [fromID, toID], so a large audience is recorded, and its
// sending started, chunk by chunk. A preference list that appeared since
// lm was made reads the release's original language ($5).
func InsertPublicAudienceRange(ctx context.Context, tx *sqlx.Tx, dispatchID, releaseID int64, lm LanguageMap, original string, fromID, toID int64) (int64, error) {
	n, err := insertAudienceRange(ctx, tx, publicAudienceSQL, newPublicAudienceSQL, dispatchID, fromID, toID,
		dispatchID, pq.Array(lm.keys), pq.Array(lm.langs), releaseID, original, fromID, toID)
	if err != nil {
		return 0, fmt.Errorf("resolve audience of release %d, contacts %d-%d: %w", releaseID, fromID, toID, err)
	}
	return n, nil
}
