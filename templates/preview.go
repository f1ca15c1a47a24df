package templates

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/releases"
)

// Preview is a stored release rendered for one message and language, as a
// press officer checks it before sending.
type Preview struct {
	*Prepared
	Release Release
	// ReplyTo is the first press contact's address, the Reply-To of every
	// message of the release; empty if it has none.
	ReplyTo string
}

// LoadPreview renders release id for message in the translation a reader
// of lang gets (the original when there is none in lang; empty lang means
// the original), with ov applied. A release not yet published is dated
// now, as it would be if published now; a message that needs a lift time
// the release does not have is an EINVALID error.
func LoadPreview(ctx context.Context, q sqlx.QueryerContext, ov Overrides, id int64, message, lang string) (*Preview, error) {
	if !isVariant(message) {
		return nil, communique.Errorf(communique.EINVALID, "unknown message %q (want one of %s)", message, strings.Join(variantNames, ", "))
	}
	rel, err := releases.Get(ctx, q, id)
	if err != nil {
		return nil, err
	}
	avail := make([]string, 0, len(rel.Translations))
	for l := range rel.Translations {
		avail = append(avail, l)
	}
	sort.Strings(avail)
	chosen := rel.OriginalLanguage
	if lang != "" {
		_, l, err := ParseKey(message, lang)
		if err != nil {
			return nil, err
		}
		chosen = MatchLanguage([]string{l}, avail, rel.OriginalLanguage)
	}
	tr, ok := rel.Translations[chosen]
	if !ok {
		return nil, communique.Errorf(communique.ENOTFOUND, "release %d has no translation in %s", id, chosen)
	}
	pcs, err := LoadPressContacts(ctx, q, id)
	if err != nil {
		return nil, err
	}
	r := Release{
		ID: rel.ID, Slug: rel.Slug, Language: chosen,
		Title: tr.Title, Summary: tr.Summary, Body: tr.Body, Dateline: tr.Dateline,
		PublishedAt: time.Now(), PressContacts: pcs, Greeting: rel.Greeting,
	}
	if rel.EmbargoUntil != nil {
		// An embargoed release is dated the day it becomes public.
		r.EmbargoUntil, r.PublishedAt = *rel.EmbargoUntil, *rel.EmbargoUntil
	}
	if rel.PublishedAt != nil {
		r.PublishedAt = *rel.PublishedAt
	}
	p, err := PrepareContext(ctx, ov, message, r)
	if err != nil {
		return nil, err
	}
	pv := &Preview{Prepared: p, Release: r}
	if len(rel.PressContacts) > 0 {
		pv.ReplyTo = rel.PressContacts[0]
	}
	return pv, nil
}

// LoadPressContacts reads release id's press contacts in their order, as
// every message of the release shows them.
func LoadPressContacts(ctx context.Context, q sqlx.QueryerContext, id int64) ([]PressContact, error) {
	var pcs []PressContact
	if err := sqlx.SelectContext(ctx, q, &pcs, `
		SELECT c.name AS name, c.title AS title, c.organisation AS organisation, c.phone AS phone, c.email AS email
		FROM release_press_contacts p JOIN contacts c ON c.id = p.contact_id
		WHERE p.release_id = $1 ORDER BY p.position`, id); err != nil {
		return nil, fmt.Errorf("load press contacts of release %d: %w", id, err)
	}
	return pcs, nil
}
