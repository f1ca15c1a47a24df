package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/releases"
)

// A correction names what changes; everything else keeps its value. It
// goes, with its note, to the readers of the corrected language and to
// nobody else; a recall gives its reason to everyone who received the
// release. Sent through the dispatcher to an SMTP server.
func TestCorrectionReachesOnlyTheReadersOfWhatChanged(t *testing.T) {
	b := setup(t)
	smtp, pool := b.withMail(mailbox.Options{})
	b.withDispatcher(pool)
	b.importReleaseContacts()
	id := b.createRelease(releaseJSON("office", ""))
	path := fmt.Sprintf("/api/v1/releases/%d", id)
	if st := b.api("POST", path+"/publish", "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	published := byRecipient(t, waitMail(t, smtp, 4), 0)
	if got := recipients(published); got != "ana@example.com,awa@example.com,john@example.com,li@example.com" {
		t.Fatalf("the release went to %s", got)
	}

	// The README's own example: a title and a body, nothing else.
	st := b.api("POST", path+"/correct", `{"translations": {"fr": {"title": "Accord pour un bureau à Nouakchott",
		"body": "Le bureau ouvre lundi.", "note": "Le jour d’ouverture manquait."}}}`, nil)
	if st != 202 {
		t.Fatalf("correct: %d", st)
	}
	var rel releases.Release
	b.api("GET", path, "", &rel)
	if got, want := rel.Translations["fr"], (releases.Translation{Title: "Accord pour un bureau à Nouakchott",
		Summary: "Un accord signé à Genève.", Body: "Le bureau ouvre lundi.", Dateline: "Genève"}); got != want {
		t.Fatalf("after the correction, French reads %+v, want %+v", got, want)
	}
	if rel.Translations["en"].Body != "The office opens in 2027." || rel.Translations["en"].Summary == "" {
		t.Fatalf("the correction of French changed English: %+v", rel.Translations["en"])
	}
	corrected := byRecipient(t, waitMail(t, smtp, 6), 4)
	if got := recipients(corrected); got != "awa@example.com,li@example.com" {
		t.Fatalf("the French correction went to %s, want the readers of French only", got)
	}
	for to, m := range corrected {
		if m.lang != "fr" || !strings.Contains(m.subject, "Accord pour un bureau à Nouakchott") {
			t.Errorf("%s: correction in %q, subject %q", to, m.lang, m.subject)
		}
		if !strings.Contains(oneLine(m.text), "Le jour d’ouverture manquait.") || !strings.Contains(oneLine(m.text), "Le bureau ouvre lundi.") {
			t.Errorf("%s: the text part lacks the note or the corrected body:\n%s", to, m.text)
		}
		if !strings.Contains(m.html, "Le jour d’ouverture manquait.") {
			t.Errorf("%s: the HTML part lacks the note:\n%s", to, m.html)
		}
	}

	// English, without a note: its readers, and no note line.
	if st := b.api("POST", path+"/correct", `{"translations": {"en": {"summary": "An agreement signed in Geneva on Monday."}}}`, nil); st != 202 {
		t.Fatalf("correct English: %d", st)
	}
	corrected = byRecipient(t, waitMail(t, smtp, 8), 6)
	if got := recipients(corrected); got != "ana@example.com,john@example.com" {
		t.Fatalf("the English correction went to %s, want the readers of English only", got)
	}
	for to, m := range corrected {
		if !strings.Contains(m.text, "on Monday") || strings.Contains(m.text, "What changed") || strings.Contains(m.html, "What changed") {
			t.Errorf("%s: English correction without a note:\n%s", to, m.text)
		}
	}

	if st := b.api("POST", path+"/recall", `{"reason": "La signature est reportée."}`, nil); st != 202 {
		t.Fatalf("recall: %d", st)
	}
	recalled := byRecipient(t, waitMail(t, smtp, 12), 8)
	if got := recipients(recalled); got != "ana@example.com,awa@example.com,john@example.com,li@example.com" {
		t.Fatalf("the recall went to %s", got)
	}
	for to, m := range recalled {
		if !strings.Contains(oneLine(m.text), "La signature est reportée.") || !strings.Contains(m.html, "La signature est reportée.") {
			t.Errorf("%s: the recall lacks its reason:\n%s", to, m.text)
		}
	}

	var audit struct {
		Entries []struct {
			Action  string
			Details map[string]any
		}
	}
	b.api("GET", fmt.Sprintf("/api/v1/audit?release_id=%d", id), "", &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "create,publish,correct,correct,recall" {
		t.Fatalf("audit log: %v", actions)
	}
	if notes := fmt.Sprint(audit.Entries[2].Details["notes"]); !strings.Contains(notes, "manquait") ||
		fmt.Sprint(audit.Entries[4].Details["reason"]) != "La signature est reportée." {
		t.Fatalf("audit details: %+v", audit.Entries)
	}
	// The correction's entry keeps French as it was and as it became.
	before, _ := audit.Entries[2].Details["before"].(map[string]any)["fr"].(map[string]any)
	after, _ := audit.Entries[2].Details["after"].(map[string]any)["fr"].(map[string]any)
	if before["body"] != "Le bureau ouvre en 2027." || after["body"] != "Le bureau ouvre lundi." || after["summary"] != "Un accord signé à Genève." {
		t.Fatalf("correction's before and after: %v / %v", before, after)
	}
}

// Bad corrections are refused naming the field, and change nothing.
func TestCorrectionRefusals(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	id := b.createRelease(releaseJSON("office", ""))
	path := fmt.Sprintf("/api/v1/releases/%d", id)
	var e errorAnswer
	if st := b.api("POST", path+"/correct", `{"translations": {"fr": {"body": "x"}}}`, &e); st != 409 || !strings.Contains(e.Error, "draft") {
		t.Fatalf("correct a draft: %d %+v", st, e)
	}
	if st := b.api("POST", path+"/publish", "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	long := strings.Repeat("x", 1001)
	for body, want := range map[string]string{
		`{}`: "translations: at least one is required",
		`{"translations": {"fr": {"title": "Accord pour un bureau"}}}`:          "translations.fr: every field sent is as the release has it",
		`{"translations": {"fr": {"note": "rien"}}}`:                            "translations.fr: send at least one of title, summary, body and dateline",
		`{"translations": {"fr": {"title": ""}}}`:                               "translations.fr.title: required",
		`{"translations": {"xx-!!": {"title": "T"}}}`:                           `translations.xx-!!: "xx-!!" is not a BCP 47 language tag`,
		`{"translations": {"de": {"body": "Text"}}}`:                            "translations.de.title: required",
		`{"translations": {"fr": {"body": "x", "note": "` + long + `"}}}`:       "translations.fr.note: longer than 1000 bytes",
		`{"translations": {"fr": {"body": "x", "subtitle": "y"}}}`:              `unknown field "subtitle"`,
		`{"translations": {"FR": {"body": "x"}, "fr": {"body": "y"}}}`:          "fr is given twice",
		`{"translations": {"fr": {"body": "x"}}, "notes": {"fr": "elsewhere"}}`: `unknown field "notes"`,
	} {
		e = errorAnswer{}
		if st := b.api("POST", path+"/correct", body, &e); st != 422 || !strings.Contains(strings.Join(e.Details, "\n"), want) {
			t.Errorf("%s: %d %+v, want 422 with %q", body, st, e, want)
		}
	}
	if n := b.count(`SELECT count(*) FROM dispatches WHERE variant = 'correction'`); n != 0 {
		t.Fatalf("refused corrections left %d dispatches", n)
	}
	var rel releases.Release
	b.api("GET", path, "", &rel)
	if rel.Translations["fr"].Body != "Le bureau ouvre en 2027." || len(rel.Translations) != 2 {
		t.Fatalf("refused corrections changed the release: %+v", rel.Translations)
	}
	// A new language may be added: nobody read it, so nobody is sent it.
	if st := b.api("POST", path+"/correct", `{"translations": {"es": {"title": "Acuerdo", "body": "La oficina abre."}}}`, nil); st != 202 {
		t.Fatalf("add Spanish: %d", st)
	}
	var langs []string
	b.db.Select(&langs, `SELECT unnest(languages) FROM dispatches WHERE variant = 'correction'`)
	if strings.Join(langs, ",") != "es" {
		t.Fatalf("the correction is for %v", langs)
	}
	if st := b.api("POST", path+"/recall", `{"reason": "`+long+`"}`, &e); st != 422 || !strings.Contains(strings.Join(e.Details, ""), "reason: longer than") {
		t.Fatalf("recall with a long reason: %d %+v", st, e)
	}
}
