package web

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
)

type audienceCount struct {
	Total      int            `json:"total"`
	ByKind     map[string]int `json:"by_kind"`
	ByLanguage map[string]int `json:"by_language"`
}

type audienceAnswer struct {
	audienceCount
	Embargo *audienceCount `json:"embargo"`
}

// recorded counts the deliveries of a release's dispatch of variant that
// are to be sent (not suppressed), as GET /audience counts them.
func (b *bundle) recorded(id int64, variant string) audienceCount {
	b.t.Helper()
	var rows []struct {
		Kind     string `db:"kind"`
		Language string `db:"language"`
		N        int    `db:"n"`
	}
	if err := b.db.Select(&rows, `
		SELECT k.kind, d.language, count(*) AS n
		FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id JOIN contacts k ON k.id = d.contact_id
		WHERE s.release_id = $1 AND s.variant = $2 AND d.status <> 'suppressed'
		GROUP BY 1, 2`, id, variant); err != nil {
		b.t.Fatal(err)
	}
	c := audienceCount{ByKind: map[string]int{}, ByLanguage: map[string]int{}}
	for _, r := range rows {
		c.Total += r.N
		c.ByKind[r.Kind] += r.N
		c.ByLanguage[r.Language] += r.N
	}
	return c
}

func sameCount(a, b audienceCount) bool {
	return a.Total == b.Total && maps.Equal(a.ByKind, b.ByKind) && maps.Equal(a.ByLanguage, b.ByLanguage)
}

// The audience a release would reach, asked before publishing, is the
// audience its publication records: public and embargoed, by kind and
// by language, without suppressed addresses.
func TestAudienceIsWhatPublishingRecords(t *testing.T) {
	b := setup(t)
	smtp, pool := b.withMail(mailbox.Options{})
	b.withDispatcher(pool)
	b.importReleaseContacts()

	public := b.createRelease(releaseJSON("public", ""))
	var a audienceAnswer
	if st := b.api("GET", fmt.Sprintf("/api/v1/releases/%d/audience", public), "", &a); st != 200 {
		t.Fatalf("audience: %d", st)
	}
	want := audienceCount{Total: 4, ByKind: map[string]int{"journalist": 4}, ByLanguage: map[string]int{"fr": 2, "en": 2}}
	if !sameCount(a.audienceCount, want) || a.Embargo != nil {
		t.Fatalf("audience %+v (embargo %+v), want %+v", a.audienceCount, a.Embargo, want)
	}
	b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", public), "", nil)
	waitMail(t, smtp, 4)
	if got := b.recorded(public, "public"); !sameCount(got, a.audienceCount) {
		t.Fatalf("publishing recorded %+v, the audience said %+v", got, a.audienceCount)
	}

	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	embargoed := b.createRelease(releaseJSONIn("embargoed", `{"fr": {"title": "Accord"}, "en": {"title": "Agreement"}, "es": {"title": "Acuerdo"}}`,
		fmt.Sprintf(`, "embargo_until": %q`, until)))
	if st := b.api("GET", fmt.Sprintf("/api/v1/releases/%d/audience", embargoed), "", &a); st != 200 || a.Embargo == nil {
		t.Fatalf("audience: %d %+v", st, a)
	}
	want = audienceCount{Total: 3, ByKind: map[string]int{"mission": 1, "journalist": 2}, ByLanguage: map[string]int{"fr": 2, "es": 1}}
	if !sameCount(*a.Embargo, want) || a.Total != 4 || a.ByLanguage["es"] != 1 {
		t.Fatalf("embargo audience %+v, want %+v; public %+v", *a.Embargo, want, a.audienceCount)
	}
	b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", embargoed), "", nil)
	waitMail(t, smtp, 7)
	if got := b.recorded(embargoed, "embargoed"); !sameCount(got, *a.Embargo) {
		t.Fatalf("publishing recorded %+v, the embargo audience said %+v", got, *a.Embargo)
	}

	if st := b.api("GET", "/api/v1/releases/999999/audience", "", nil); st != 404 {
		t.Fatalf("audience of no release: %d", st)
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/releases/%d/audience?lang=fr", public), "", nil); st != 422 {
		t.Fatalf("audience with an unknown parameter: %d", st)
	}
}
