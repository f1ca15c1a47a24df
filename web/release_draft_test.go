package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
)

// A draft is replaced whole by PUT, validated as at creation, and
// deleted by DELETE; neither touches a release that is out.
func TestEditAndDeleteDrafts(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	id := b.createRelease(releaseJSON("office", ""))
	other := b.createRelease(releaseJSON("other", ""))
	path := fmt.Sprintf("/api/v1/releases/%d", id)

	edited := `{"slug": "office-nouakchott", "original_language": "en",
		"translations": {"en": {"title": "An office in Nouakchott", "body": "It opens."}},
		"regions": ["western-africa"], "topics": ["migration-governance"], "press_contacts": ["press@example.org"]}`
	var rel releases.Release
	if st := b.api("PUT", path, edited, &rel); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	if rel.Slug != "office-nouakchott" || rel.OriginalLanguage != "en" || len(rel.Translations) != 1 ||
		len(rel.Countries) != 0 || strings.Join(rel.Regions, ",") != "western-africa" || rel.Status != "draft" {
		t.Fatalf("after the edit: %+v", rel)
	}
	var e errorAnswer
	for body, want := range map[string][]string{
		`{"slug": "Bad Slug", "original_language": "en", "translations": {}, "press_contacts": []}`: {
			`slug: "Bad Slug" must be`, "translations: at least one is required", "press_contacts: at least one is required",
			"regions, countries, topics: name at least one"},
		releaseJSON("other", ""): {`slug: "other" is taken`},
		strings.Replace(releaseJSON("office", ""), `"countries": ["MR"]`, `"regions": ["atlantis"]`, 1): {"atlantis"},
		releaseJSON("office", `, "embargo_until": "2020-01-01T09:00:00Z"`): {
			`embargo_until: is in the past (2020-01-01T09:00:00Z); send "publish_now": true to publish at once`},
	} {
		e = errorAnswer{}
		st := b.api("PUT", path, body, &e)
		if (st != 422 && st != 409) || !containsAll(strings.Join(e.Details, "\n"), want) {
			t.Errorf("PUT %s: %d %+v, want %v", body, st, e, want)
		}
	}
	b.api("GET", path, "", &rel)
	if rel.Slug != "office-nouakchott" {
		t.Fatalf("refused edits changed the draft: %+v", rel)
	}
	if st := b.api("PUT", "/api/v1/releases/999999", edited, &e); st != 404 {
		t.Fatalf("edit a release that does not exist: %d", st)
	}

	if st := b.api("DELETE", fmt.Sprintf("/api/v1/releases/%d", other), "", nil); st != 204 {
		t.Fatalf("delete a draft: %d", st)
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/releases/%d", other), "", nil); st != 404 {
		t.Fatalf("a deleted draft answers %d", st)
	}
	if st := b.api("POST", path+"/publish", "", nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	if st := b.api("PUT", path, edited, &e); st != 409 || !strings.Contains(e.Error, "only a draft can be edited") {
		t.Fatalf("edit a published release: %d %+v", st, e)
	}
	if st := b.api("DELETE", path, "", &e); st != 409 || !strings.Contains(e.Error, "only a draft can be deleted") {
		t.Fatalf("delete a published release: %d %+v", st, e)
	}
	var audit struct{ Entries []struct{ Action string } }
	b.api("GET", fmt.Sprintf("/api/v1/audit?release_id=%d", other), "", &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "create" || audit.Entries[1].Action != "delete" {
		t.Fatalf("audit of the deleted draft: %+v", audit.Entries)
	}
	b.api("GET", fmt.Sprintf("/api/v1/audit?release_id=%d", id), "", &audit)
	if len(audit.Entries) != 3 || audit.Entries[1].Action != "edit" {
		t.Fatalf("audit of the edited draft: %+v", audit.Entries)
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// An embargo_until that has passed is refused wherever it is given,
// unless the request says publish_now; nothing is half-done.
func TestPastEmbargoIsRefusedUnlessPublishNow(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	var e errorAnswer
	if st := b.api("POST", "/api/v1/releases", releaseJSON("late", `, "embargo_until": "2020-01-01T09:00:00Z"`), &e); st != 422 ||
		!strings.Contains(strings.Join(e.Details, ""), `embargo_until: is in the past (2020-01-01T09:00:00Z); send "publish_now": true`) {
		t.Fatalf("create with a past embargo: %d %+v", st, e)
	}
	if n := b.count(`SELECT count(*) FROM releases`); n != 0 {
		t.Fatalf("%d releases after a refused creation", n)
	}
	// Said on purpose, the past time is dropped: the release has no embargo.
	id := b.createRelease(releaseJSON("late", `, "embargo_until": "2020-01-01T09:00:00Z", "publish_now": true`))
	var rel releases.Release
	b.api("GET", fmt.Sprintf("/api/v1/releases/%d", id), "", &rel)
	if rel.EmbargoUntil != nil {
		t.Fatalf("publish_now kept the embargo %v", rel.EmbargoUntil)
	}

	// An embargo that passes between creation and publication.
	soon := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second)
	id = b.createRelease(releaseJSON("soon", fmt.Sprintf(`, "embargo_until": %q`, soon.Format(time.RFC3339))))
	path := fmt.Sprintf("/api/v1/releases/%d", id)
	time.Sleep(time.Until(soon) + 100*time.Millisecond)
	e = errorAnswer{}
	if st := b.api("POST", path+"/publish", "", &e); st != 422 ||
		!strings.Contains(strings.Join(e.Details, ""), "embargo_until: is in the past ("+soon.Format(time.RFC3339)+")") {
		t.Fatalf("publish with a passed embargo: %d %+v", st, e)
	}
	if n := b.count(`SELECT count(*) FROM dispatches`) + b.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Fatalf("a refused publication left %d rows", n)
	}
	var pub struct{ Status string }
	if st := b.api("POST", path+"/publish", `{"publish_now": true}`, &pub); st != 202 || pub.Status != "published" {
		t.Fatalf("publish now: %d %+v", st, pub)
	}
	if n := b.count(`SELECT count(*) FROM dispatches WHERE release_id = $1 AND variant = 'public'`, id); n != 1 {
		t.Fatalf("%d public dispatches", n)
	}
	// publish_now never breaks an embargo still to come.
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	id = b.createRelease(releaseJSON("later", fmt.Sprintf(`, "embargo_until": %q`, later)))
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", id), `{"publish_now": true}`, &e); st != 422 ||
		!strings.Contains(strings.Join(e.Details, ""), "publish_now:") {
		t.Fatalf("publish_now with an embargo to come: %d %+v", st, e)
	}
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", id), `{"publish_now": "yes"}`, &e); st != 422 {
		t.Fatalf("publish_now as a string: %d", st)
	}
}

// Publishing to nobody is refused, saying so, unless allow_empty; under
// embargo, the embargo audience counts.
func TestPublishRefusesAnEmptyAudience(t *testing.T) {
	b := setup(t)
	b.importReleaseContacts()
	nobody := b.createRelease(strings.Replace(releaseJSON("nobody", ""), `"countries": ["MR"]`, `"countries": ["JP"]`, 1))
	path := fmt.Sprintf("/api/v1/releases/%d/publish", nobody)
	var e errorAnswer
	if st := b.api("POST", path, "", &e); st != 422 || !strings.HasPrefix(e.Error, "the audience is empty: ") ||
		!strings.Contains(strings.Join(e.Details, ""), "allow_empty") {
		t.Fatalf("publish to nobody: %d %+v", st, e)
	}
	var pub struct{ Status string }
	if st := b.api("POST", path, `{"allow_empty": true}`, &pub); st != 202 || pub.Status != "published" {
		t.Fatalf("allow_empty: %d %+v", st, pub)
	}
	// Nobody follows Senegal, but its mission is in the embargo audience.
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	missions := b.createRelease(strings.Replace(releaseJSON("senegal", fmt.Sprintf(`, "embargo_until": %q`, later)),
		`"countries": ["MR"]`, `"countries": ["SN"]`, 1))
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", missions), "", &pub); st != 202 || pub.Status != "embargoed" {
		t.Fatalf("embargoed to the mission alone: %d %+v", st, pub)
	}
}
