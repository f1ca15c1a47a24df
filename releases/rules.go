package releases

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

// maxNote bounds a correction's note and a recall's reason: a sentence or
// two shown in a banner, not a second release.
const maxNote = 1000

// checkEmbargo refuses an embargo_until that has passed, which cannot be
// honoured as written, unless publishNow says the release is meant to go
// out at once without embargo; and refuses publishNow with an embargo
// still to come, which would break it.
func checkEmbargo(until *time.Time, now time.Time, publishNow bool) error {
	switch {
	case until == nil:
		return nil
	case !until.After(now) && !publishNow:
		return communique.Invalid("invalid embargo", []string{fmt.Sprintf(
			`embargo_until: is in the past (%s); send "publish_now": true to publish at once`,
			until.UTC().Format(time.RFC3339))})
	case until.After(now) && publishNow:
		return communique.Invalid("invalid embargo", []string{fmt.Sprintf(
			`publish_now: the embargo (embargo_until %s) is still to come; publish under embargo, then lift it to publish at once`,
			until.UTC().Format(time.RFC3339))})
	}
	return nil
}

// checkAudience refuses to publish a release nobody would receive: no
// active, unsuppressed contact follows it, nor, under embargo, is in its
// embargo audience. Such a release usually names the wrong region or
// topic, and publishing it would be final.
func checkAudience(ctx context.Context, tx *sqlx.Tx, id int64, embargoed bool) error {
	ok, err := contacts.HasAudience(ctx, tx, id, embargoed)
	if err != nil || ok {
		return err
	}
	details := []string{"regions, countries, topics: no active contact whose address is not suppressed follows any of them"}
	if embargoed {
		details = append(details, "embargo_audience: names no active contact whose address is not suppressed")
	}
	details = append(details, `allow_empty: send true to publish all the same`)
	return &communique.Error{Code: communique.EINVALID,
		Message: fmt.Sprintf("the audience is empty: nobody would receive release %d", id), Details: details}
}
