package releases

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique/contacts"
)

// Audience is who a release would reach if it were published now, by
// contact kind and by the language each would read; suppressed addresses
// are not counted.
type Audience struct {
	// The public audience: everyone the public version is meant for.
	contacts.AudienceCount
	// Embargo is the embargo audience, who would get the embargoed notice
	// first; set only when the release would be embargoed. They are
	// counted in the public audience too when they follow the release,
	// though at the lift they are not sent the public version again.
	Embargo *contacts.AudienceCount `json:"embargo,omitempty"`
}

// Matcher picks the translation a reader gets among available, given
// their ordered preferences (templates.MatchLanguage, which the
// dispatcher uses).
type Matcher func(prefs, available []string, original string) string

// GetAudience counts release id's audience at now with the same SELECTs
// that record its deliveries when it is published, reading languages as
// match does.
func GetAudience(ctx context.Context, db *sqlx.DB, id int64, match Matcher, now time.Time) (*Audience, error) {
	rel, err := Get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return ReleaseAudience(ctx, db, rel, match, now)
}

// ReleaseAudience is GetAudience for a release already read.
func ReleaseAudience(ctx context.Context, db *sqlx.DB, rel *Release, match Matcher, now time.Time) (*Audience, error) {
	// Sorted as the dispatcher reads them, so ties resolve alike.
	langs := slices.Sorted(maps.Keys(rel.Translations))
	choose := func(prefs []string) string { return match(prefs, langs, rel.OriginalLanguage) }
	return countAudience(ctx, db, rel.ID, choose, rel.EmbargoUntil != nil && rel.EmbargoUntil.After(now))
}

// countAudience counts release id's public audience, and with embargoed
// its embargo audience, each reader in the language choose picks.
func countAudience(ctx context.Context, q sqlx.QueryerContext, id int64, choose contacts.LanguageChooser, embargoed bool) (*Audience, error) {
	public, err := contacts.CountPublicAudience(ctx, q, id, choose)
	if err != nil {
		return nil, err
	}
	a := &Audience{AudienceCount: *public}
	if embargoed {
		if a.Embargo, err = contacts.CountEmbargoAudience(ctx, q, id, choose); err != nil {
			return nil, err
		}
	}
	return a, nil
}
