package releases

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/events"
	"github.com/communique/communique/postgres"
)

// Correction is a press officer's correction of a published release,
// language by language.
type Correction struct {
	Translations map[string]TranslationPatch `json:"translations"`
}

// TranslationPatch corrects one language: each field sent replaces the
// release's, each field left out keeps its value. Note, optional, tells
// the readers of that language what changed.
type TranslationPatch struct {
	Title    *string `json:"title,omitempty"`
	Summary  *string `json:"summary,omitempty"`
	Body     *string `json:"body,omitempty"`
	Dateline *string `json:"dateline,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// apply returns t with the patch's fields.
func (p TranslationPatch) apply(t Translation) Translation {
	for _, f := range []struct {
		from *string
		to   *string
	}{{p.Title, &t.Title}, {p.Summary, &t.Summary}, {p.Body, &t.Body}, {p.Dateline, &t.Dateline}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	t.Title = strings.TrimSpace(t.Title)
	return t
}

// Correct merges a correction into a published release and sends the
// corrected text, marked as corrected and with each language's note, to
// those who received the release in a corrected language; readers of the
// other languages are sent nothing, since their text did not change.
// A language the release does not have yet may be added: it serves the
// release's page and later readers, and sends no correction, since nobody
// received it. Recipients not yet reached simply get the corrected text.
func (l *Lifecycle) Correct(ctx context.Context, id int64, c Correction, actor string) error {
	if len(c.Translations) == 0 {
		return communique.Invalid("invalid correction", []string{"translations: at least one is required"})
	}
	return postgres.Tx(ctx, l.DB, func(tx *sqlx.Tx) error {
		r, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != StatusPublished {
			// An embargoed release is changed by recalling it, or by
			// correcting it once lifted: a correction mail must never
			// carry embargoed text without the embargo marker.
			return communique.Errorf(communique.ECONFLICT, "release %d is %s: only a published release can be corrected", id, r.Status)
		}
		cur, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		// The audit log keeps each corrected language as it was and as
		// it became.
		was := maps.Clone(cur.Translations)
		langs, added, notes, err := merge(cur, c)
		if err != nil {
			return err
		}
		if err := cur.Normalize(); err != nil {
			return err
		}
		now := l.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM release_translations WHERE release_id = $1`, id); err != nil {
			return fmt.Errorf("correct release %d: %w", id, err)
		}
		if err := insertTranslations(ctx, tx, id, cur.Translations); err != nil {
			return err
		}
		r.Revision++
		if _, err := tx.ExecContext(ctx, `UPDATE releases SET revision = $2, updated_at = $3 WHERE id = $1`, id, r.Revision, now); err != nil {
			return fmt.Errorf("correct release %d: %w", id, err)
		}
		f := followUp{languages: langs, notes: notes}
		if err := dispatch(ctx, tx, r, "correction", r.Revision, events.SubjectCorrected, "release.corrected", now, f); err != nil {
			return err
		}
		before, after := map[string]Translation{}, map[string]Translation{}
		for _, lang := range langs {
			if t, ok := was[lang]; ok {
				before[lang] = t
			}
			after[lang] = cur.Translations[lang]
		}
		details := map[string]any{"revision": r.Revision, "languages": langs, "before": before, "after": after}
		if len(added) > 0 {
			details["added"] = added
		}
		if len(notes) > 0 {
			details["notes"] = notes
		}
		return audit(ctx, tx, actor, "correct", id, details)
	})
}

// merge applies c to cur's translations and returns the corrected
// languages (canonical tags, sorted), those among them that are new, and
// the notes by language; every problem names its field.
func merge(cur *Release, c Correction) (langs, added []string, notes map[string]string, err error) {
	var bad []string
	notes = map[string]string{}
	seen := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(c.Translations)) {
		p := c.Translations[key]
		lang, err := canonicalLanguage(key)
		if err != nil {
			bad = append(bad, fmt.Sprintf("translations.%s: %v", key, err))
			continue
		}
		if other, dup := seen[lang]; dup {
			bad = append(bad, fmt.Sprintf("translations.%s: %s is given twice (also as %q)", key, lang, other))
			continue
		}
		seen[lang] = key
		note := strings.TrimSpace(p.Note)
		if len(note) > maxNote {
			bad = append(bad, fmt.Sprintf("translations.%s.note: longer than %d bytes", key, maxNote))
		}
		if p.Title == nil && p.Summary == nil && p.Body == nil && p.Dateline == nil {
			bad = append(bad, fmt.Sprintf("translations.%s: send at least one of title, summary, body and dateline", key))
			continue
		}
		old, exists := cur.Translations[lang]
		t := p.apply(old)
		if exists && t == old {
			bad = append(bad, fmt.Sprintf("translations.%s: every field sent is as the release has it: nothing to correct", key))
			continue
		}
		cur.Translations[lang] = t
		langs = append(langs, lang)
		if !exists {
			added = append(added, lang)
		}
		if note != "" {
			notes[lang] = note
		}
	}
	if err := communique.Invalid("invalid correction", bad); err != nil {
		return nil, nil, nil, err
	}
	slices.Sort(langs)
	return langs, added, notes, nil
}
