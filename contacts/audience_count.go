package contacts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// AudienceCount says how many contacts an audience holds, by contact kind
// and by the language each would read. Suppressed addresses, which get a
// delivery that is never sent, are not counted.
type AudienceCount struct {
	Total      int            `json:"total"`
	ByKind     map[string]int `json:"by_kind"`
	ByLanguage map[string]int `json:"by_language"`
}

// The counting queries run the recording statements' own SELECT, so a
// count can never follow other rules than the deliveries a publication
// records: the CTEs that choose the audience (publicAudienceSQL and
// embargoAudienceSQL without their INSERT) and the SELECT of
// insertDeliveriesSQL (active contacts, language, suppression), whose rows
// are counted instead of inserted.
var (
	publicCount  = countingSQL(publicAudienceSQL)
	embargoCount = countingSQL(embargoAudienceSQL)
)

type counting struct {
	count, exists string
	// err is set when the recording statement no longer has the shape
	// countingSQL reads: counts then fail rather than risk being wrong.
	err error
}

// countingSQL turns an audience's INSERT … SELECT into a grouped count and
// an existence test over the rows it would insert with status 'queued'.
// The rows carry the contact's kind and preference list besides, and are
// counted by those: the language each reads is chosen here, once per
// list, as the recording statement's language map does. The order the
// recording statement inserts in does not change a count, and sorting
// the audience would cost more than counting it.
func countingSQL(recordSQL string) counting {
	ctes, ok := strings.CutSuffix(recordSQL, insertDeliveriesSQL)
	sel := insertDeliveriesSQL
	i, j := strings.Index(sel, "SELECT"), strings.LastIndex(sel, "ON CONFLICT")
	from := strings.Index(sel, "\n\tFROM audience")
	order := strings.LastIndex(sel, "ORDER BY c.id")
	if !ok || i < 0 || j < i || from < i || from > j || order < from || order > j {
		return counting{err: errors.New("audience count: the audience's recording statement is not an INSERT … SELECT … FROM audience … ORDER BY c.id ON CONFLICT")}
	}
	recorded := ctes + `,
	recorded (dispatch_id, contact_id, email, language, status, kind, languages) AS (` +
		sel[i:from] + `, c.kind, c.languages` + sel[from:order] + `)`
	return counting{
		count: recorded + `
	SELECT kind, languages, count(*) AS n
	FROM recorded
	WHERE status = 'queued'
	GROUP BY 1, 2`,
		exists: recorded + `
	SELECT EXISTS (SELECT 1 FROM recorded WHERE status = 'queued')`,
	}
}

// CountPublicAudience counts the contacts InsertPublicAudience would send
// release releaseID to, in the language choose picks for each.
func CountPublicAudience(ctx context.Context, q sqlx.QueryerContext, releaseID int64, choose LanguageChooser) (*AudienceCount, error) {
	return countAudience(ctx, q, publicCount, releaseID, choose)
}

// CountEmbargoAudience counts the contacts InsertEmbargoAudience would
// send the embargoed notice of release releaseID to.
func CountEmbargoAudience(ctx context.Context, q sqlx.QueryerContext, releaseID int64, choose LanguageChooser) (*AudienceCount, error) {
	return countAudience(ctx, q, embargoCount, releaseID, choose)
}

func countAudience(ctx context.Context, q sqlx.QueryerContext, sql counting, releaseID int64, choose LanguageChooser) (*AudienceCount, error) {
	if sql.err != nil {
		return nil, sql.err
	}
	var rows []struct {
		Kind      string         `db:"kind"`
		Languages pq.StringArray `db:"languages"`
		N         int            `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, sql.count,
		0, pq.Array([]string{}), pq.Array([]string{}), releaseID, choose(nil), 1, int64(math.MaxInt64)); err != nil {
		return nil, fmt.Errorf("count audience of release %d: %w", releaseID, err)
	}
	c := &AudienceCount{ByKind: map[string]int{}, ByLanguage: map[string]int{}}
	for _, r := range rows {
		c.Total += r.N
		c.ByKind[r.Kind] += r.N
		c.ByLanguage[choose(r.Languages)] += r.N
	}
	return c, nil
}

// HasAudience reports whether publishing release releaseID would send to
// anyone: its public audience, or with embargo also its embargo
// audience, holds a contact that is active and not suppressed. It looks
// through the contacts a range of ids at a time, small first, so that
// the usual answer, yes, comes from the first few thousand contacts
// rather than from the whole audience; it chooses no language.
func HasAudience(ctx context.Context, q sqlx.QueryerContext, releaseID int64, embargo bool) (bool, error) {
	audiences := []counting{publicCount}
	if embargo {
		audiences = append(audiences, embargoCount)
	}
	maxID, err := MaxContactID(ctx, q)
	if err != nil {
		return false, err
	}
	for from, span := int64(1), int64(2_000); from <= maxID; from, span = from+span, span*8 {
		to := min(from+span-1, maxID)
		for _, sql := range audiences {
			if sql.err != nil {
				return false, sql.err
			}
			var found bool
			if err := sqlx.GetContext(ctx, q, &found, sql.exists,
				0, pq.Array([]string{}), pq.Array([]string{}), releaseID, "", from, to); err != nil {
				return false, fmt.Errorf("audience of release %d: %w", releaseID, err)
			}
			if found {
				return true, nil
			}
		}
	}
	return false, nil
}
