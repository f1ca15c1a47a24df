package office

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// received records that the journalists got the public version, each in
// their first language: two read French, one English.
func (b *bundle) received(dispatch int64) {
	b.t.Helper()
	b.db.MustExec(`INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, email, languages[1], 'sent', now() FROM contacts WHERE kind = 'journalist'`, dispatch)
}

var stampRE = regexp.MustCompile(`name="stamp" value="(\d+)"`)

// correctionForm is the form as the page shows it, with changes.
func correctionForm(t *testing.T, page string, set map[string]string) url.Values {
	t.Helper()
	m := stampRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no stamp in the form\n%s", page)
	}
	f := url.Values{"stamp": {m[1]},
		"translations.fr.title": {"Titre"}, "translations.en.title": {"Title"}}
	for k, v := range set {
		f.Set(k, v)
	}
	return f
}

func TestCorrectionFromTheReleasePage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)
	id, dispatch := b.publishedRelease("to-correct")
	b.received(dispatch)
	path := fmt.Sprintf("/office/releases/%d/correct", id)

	po := b.browser()
	po.signIn("po@example.org", pw)
	wantStatus(t, "the form for a press officer", po.get(path), http.StatusForbidden, "This needs the Editor role")
	wantStatus(t, "a correction by a press officer", po.post(path, url.Values{"translations.fr.title": {"Nouveau"}, "confirm": {"on"}}),
		http.StatusForbidden, "This needs the Editor role")
	if res := po.get(fmt.Sprintf("/office/releases/%d", id)); res.status != http.StatusOK || strings.Contains(res.body, "correct-link") {
		t.Errorf("release page for a press officer: %d", res.status)
	}

	ed := b.browser()
	ed.signIn("ed@example.org", pw)
	wantStatus(t, "the release page", ed.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, `id="correct-link"`)
	page := ed.get(path)
	wantStatus(t, "the form", page, http.StatusOK,
		`value="Titre"`, "goes to the 2 readers of Français", "goes to the one reader of English", "readers of the other languages get nothing")

	// Nothing changed, a note alone, no confirmation: each said, nothing sent.
	wantStatus(t, "no change", ed.post(path, correctionForm(t, page.body, map[string]string{"confirm": "on"})),
		http.StatusUnprocessableEntity, "there is nothing to correct")
	res := ed.post(path, correctionForm(t, page.body, map[string]string{
		"translations.fr.title": "Titre corrigé", "translations.en.note": "Nothing changed here"}))
	wantStatus(t, "a note alone", res, http.StatusUnprocessableEntity,
		`id="translations.en.note-error"`, "A note needs a change in this language.", `id="confirm-error"`, `value="Titre corrigé"`)
	if n := count(t, b.db, `SELECT count(*) FROM dispatches WHERE release_id = $1 AND variant = 'correction'`, id); n != 0 {
		t.Fatalf("%d corrections recorded from a refused form", n)
	}

	// French corrected, with a note; English left alone.
	wantStatus(t, "the correction", ed.post(path, correctionForm(t, page.body, map[string]string{
		"translations.fr.title": "Titre corrigé", "translations.fr.note": "Le titre est corrigé.", "confirm": "on"})), http.StatusSeeOther)
	rel, err := releases.Get(ctx, b.db, id)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Translations["fr"].Title != "Titre corrigé" || rel.Translations["en"].Title != "Title" {
		t.Errorf("after the correction: %+v", rel.Translations)
	}
	var langs pq.StringArray
	var notes string
	if err := b.db.QueryRow(`SELECT languages, notes::text FROM dispatches WHERE release_id = $1 AND variant = 'correction'`, id).Scan(&langs, &notes); err != nil {
		t.Fatal(err)
	}
	if len(langs) != 1 || langs[0] != "fr" || notes != `{"fr": "Le titre est corrigé."}` {
		t.Errorf("correction dispatch: languages %v, notes %s", langs, notes)
	}
	entries, err := releases.Audit(ctx, b.db, releases.AuditFilter{ReleaseID: id, Actor: "user:ed@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "correct" {
		t.Errorf("audit: %+v", entries)
	}
	wantStatus(t, "the release page after", ed.get(fmt.Sprintf("/office/releases/%d", id)), http.StatusOK, "The correction is recorded", "Titre corrigé")

	// A field left out of the form keeps its text: only the title is sent.
	partial := correctionForm(t, ed.get(path).body, map[string]string{"translations.en.summary": "A summary.", "confirm": "on"})
	partial.Del("translations.fr.title")
	partial.Del("translations.en.title")
	wantStatus(t, "a partial form", ed.post(path, partial), http.StatusSeeOther)
	if rel, _ := releases.Get(ctx, b.db, id); rel.Translations["fr"].Title != "Titre corrigé" || rel.Translations["en"].Summary != "A summary." {
		t.Errorf("after a partial form: %+v", rel.Translations)
	}

	// A form opened before those corrections does not undo them.
	wantStatus(t, "a stale form", ed.post(path, correctionForm(t, page.body, map[string]string{
		"translations.en.title": "Title fixed", "confirm": "on"})), http.StatusConflict, "changed since this form was opened", `value="Titre corrigé"`)
	if n := count(t, b.db, `SELECT count(*) FROM dispatches WHERE release_id = $1 AND variant = 'correction'`, id); n != 2 {
		t.Errorf("%d corrections after a stale form, want 2", n)
	}

	// A draft cannot be corrected.
	draft, err := (&releases.Lifecycle{DB: b.db}).Create(ctx, &releases.Draft{Release: releases.Release{Slug: "a-draft", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Draft"}}, Countries: []string{"MR"}, PressContacts: []string{"press@example.org"}}}, "user:po@example.org")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "a draft", ed.get(fmt.Sprintf("/office/releases/%d/correct", draft)), http.StatusConflict, "Only a published release can be corrected")
}
