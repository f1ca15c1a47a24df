package contacts

import (
	"context"
	"fmt"
	"math"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// embargoAudienceSQL records the embargo audience of release $4 for
// dispatch $1 (SPEC section 3): the member-state missions its
// embargo_missions names (all of them, or "concerned": those of the
// release's countries) and, when embargo_verified is set, the verified
// journalists of its public audience. Keeping to journalists who follow
// the release keeps embargoed content to the fewest people entitled to it.
const embargoAudienceSQL = `WITH ` + subscribedSQL + `,
	audience AS (
		SELECT c.id AS contact_id FROM contacts c, rel
		WHERE c.kind = 'mission' AND c.id BETWEEN $6 AND $7
		  AND (rel.embargo_missions = 'all'
		    OR (rel.embargo_missions = 'concerned' AND c.country::text = ANY (rel.countries)))
		UNION
		SELECT c.id FROM subscribed s JOIN contacts c ON c.id = s.contact_id, rel
		WHERE rel.embargo_verified AND c.kind = 'journalist' AND c.verified
	)` + insertDeliveriesSQL

// InsertEmbargoAudience records one delivery per active contact entitled
// to the embargoed notice of the release of dispatch dispatchID, in the
// language choose picks for each, like InsertPublicAudience: missions as
// the release's embargo audience says, and verified journalists of its
// public audience when it includes them. Pending, unsubscribed, bounced
// and blocked contacts get nothing; suppressed addresses a 'suppressed'
// delivery. It returns the number of deliveries added.
func InsertEmbargoAudience(ctx context.Context, tx *sqlx.Tx, dispatchID, releaseID int64, choose LanguageChooser) (int64, error) {
	lm, err := NewLanguageMap(ctx, tx, choose)
	if err != nil {
		return 0, err
	}
	n, err := insertAudience(ctx, tx, embargoAudienceSQL,
		dispatchID, pq.Array(lm.keys), pq.Array(lm.langs), releaseID, choose(nil), 1, int64(math.MaxInt64))
	if err != nil {
		return 0, fmt.Errorf("resolve embargo audience of release %d: %w", releaseID, err)
	}
	return n, nil
}
