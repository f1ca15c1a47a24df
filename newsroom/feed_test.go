package newsroom_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
)

// The Atom structure as a reader parses it back (RFC 4287).
type feedDoc struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string     `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string     `xml:"http://www.w3.org/2005/Atom id"`
	Title   string     `xml:"http://www.w3.org/2005/Atom title"`
	Updated string     `xml:"http://www.w3.org/2005/Atom updated"`
	Author  []person   `xml:"http://www.w3.org/2005/Atom author"`
	Links   []linkDoc  `xml:"http://www.w3.org/2005/Atom link"`
	Entries []entryDoc `xml:"http://www.w3.org/2005/Atom entry"`
}

type person struct {
	Name string `xml:"http://www.w3.org/2005/Atom name"`
}

type linkDoc struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

type entryDoc struct {
	Lang      string    `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID        string    `xml:"http://www.w3.org/2005/Atom id"`
	Title     string    `xml:"http://www.w3.org/2005/Atom title"`
	Updated   string    `xml:"http://www.w3.org/2005/Atom updated"`
	Links     []linkDoc `xml:"http://www.w3.org/2005/Atom link"`
	Author    []person  `xml:"http://www.w3.org/2005/Atom author"`
	Content   string    `xml:"http://www.w3.org/2005/Atom content"`
	Summary   string    `xml:"http://www.w3.org/2005/Atom summary"`
	Corrected bool      `xml:"urn:x-communique:newsroom corrected"`
	Withdrawn bool      `xml:"urn:x-communique:newsroom withdrawn"`
}

// parseFeed parses an Atom feed and checks what RFC 4287 requires of it.
func parseFeed(t *testing.T, body string) feedDoc {
	t.Helper()
	var f feedDoc
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("not an Atom feed: %v\n%s", err, body)
	}
	checkTime := func(what, s string) {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s: updated %q is not an RFC 3339 date", what, s)
		}
	}
	if f.ID == "" || f.Title == "" {
		t.Errorf("feed lacks id or title")
	}
	checkTime("feed", f.Updated)
	if !hasRel(f.Links, "self") {
		t.Error("feed lacks its self link")
	}
	feedAuthor := len(f.Author) > 0 && f.Author[0].Name != ""
	ids := map[string]bool{}
	for _, e := range f.Entries {
		if e.ID == "" || e.Title == "" || ids[e.ID] {
			t.Errorf("entry %q lacks an id or a title, or repeats an id", e.ID)
		}
		ids[e.ID] = true
		checkTime("entry "+e.ID, e.Updated)
		if !hasRel(e.Links, "alternate") {
			t.Errorf("entry %s lacks its link", e.ID)
		}
		if !feedAuthor && len(e.Author) == 0 {
			t.Errorf("entry %s has no author, nor has the feed", e.ID)
		}
		if e.Lang == "" {
			t.Errorf("entry %s has no language", e.ID)
		}
	}
	return f
}

func hasRel(links []linkDoc, rel string) bool {
	for _, l := range links {
		if l.Rel == rel && l.Href != "" {
			return true
		}
	}
	return false
}

func titles(f feedDoc) string {
	var out []string
	for _, e := range f.Entries {
		out = append(out, e.Title)
	}
	return strings.Join(out, " | ")
}

func TestFeedsByLanguageAndFilters(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "mr-health", countries: []string{"MR"}, tops: []string{"health"}, langs: map[string]releases.Translation{
		"en": {Title: "Health in Mauritania", Body: "Text & more"}, "fr": {Title: "La santé en Mauritanie"}}})
	b.clk.set(t0.Add(time.Hour))
	b.publish(t, spec{slug: "pe-trade", countries: []string{"PE"}, tops: []string{"trade"}, langs: map[string]releases.Translation{
		"en": {Title: "Trade with Peru"}, "es": {Title: "Comercio con Perú"}}})
	b.clk.set(t0.Add(2 * time.Hour))
	b.publish(t, spec{slug: "asia", regions: []string{"eastern-asia"}, langs: map[string]releases.Translation{"en": {Title: "Eastern Asia"}}})

	for _, c := range []struct{ path, want string }{
		{"/feeds/en.atom", "Eastern Asia | Trade with Peru | Health in Mauritania"},
		{"/feeds/fr.atom", "La santé en Mauritanie"},
		{"/feeds/es.atom?country=PE", "Comercio con Perú"},
		{"/feeds/en.atom?topic=health", "Health in Mauritania"},
		{"/feeds/en.atom?region=asia", "Eastern Asia"},
		{"/feeds/en.atom?region=africa&topic=trade", ""},
		{"/feeds/ar.atom", ""},
	} {
		res, body := b.get(t, c.path)
		wantStatus(t, res, body, 200)
		if ct := res.Header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", c.path, ct)
		}
		f := parseFeed(t, body)
		if got := titles(f); got != c.want {
			t.Errorf("%s: entries %q, want %q", c.path, got, c.want)
		}
	}
	_, body := b.get(t, "/feeds/en.atom")
	f := parseFeed(t, body)
	last := f.Entries[2]
	if last.Lang != "en" || last.ID != base+"/releases/mr-health?lang=en" || !strings.Contains(last.Content, "Text &amp; more") {
		t.Errorf("entry: %+v", last)
	}
	if f.Author[0].Name != "International Migration Agency" || f.Updated != "2026-12-01T10:00:00Z" {
		t.Errorf("feed author %q, updated %q", f.Author[0].Name, f.Updated)
	}

	res, body := b.get(t, "/feeds/en.atom?region=atlantis")
	wantStatus(t, res, body, 422)
	if !strings.Contains(body, "region: &#34;atlantis&#34;") {
		t.Errorf("the error does not name the field:\n%s", body)
	}
	res, body = b.get(t, "/feeds/en.rss")
	wantStatus(t, res, body, 404)
	res, body = b.get(t, "/feeds/!!.atom")
	wantStatus(t, res, body, 422)
}

func TestFeedEntriesCarryCorrectionsAndNothingBeforeTheLift(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	id := b.publish(t, spec{slug: "corrected"})
	until := t0.Add(time.Hour)
	embargoed := b.create(t, spec{slug: "embargoed", until: &until})
	if _, err := b.lc.Publish(ctx, embargoed, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	fixed := "Corrected body."
	b.clk.set(t0.Add(10 * time.Minute))
	if err := b.lc.Correct(ctx, id, releases.Correction{Translations: map[string]releases.TranslationPatch{"en": {Body: &fixed}}}, "test"); err != nil {
		t.Fatal(err)
	}
	_, body := b.get(t, "/feeds/en.atom")
	f := parseFeed(t, body)
	if len(f.Entries) != 1 || !f.Entries[0].Corrected || f.Entries[0].Updated != "2026-12-01T08:10:00Z" || !strings.Contains(f.Entries[0].Content, fixed) {
		t.Fatalf("before the lift: %+v", f.Entries)
	}

	b.clk.set(until.Add(-time.Millisecond))
	b.lc.LiftDue(ctx)
	_, body = b.get(t, "/feeds/en.atom")
	if strings.Contains(body, "embargoed") {
		t.Fatal("the feed carries the embargoed release a millisecond before its lift")
	}
	b.clk.set(until)
	if n, err := b.lc.LiftDue(ctx); n != 1 || err != nil {
		t.Fatalf("LiftDue = %d, %v", n, err)
	}
	_, body = b.get(t, "/feeds/en.atom")
	f = parseFeed(t, body)
	if titles(f) != "Title of embargoed | Title of corrected" || f.Entries[0].Corrected {
		t.Fatalf("after the lift: %s", titles(f))
	}

	b.clk.set(until.Add(time.Minute))
	if err := b.lc.Recall(ctx, embargoed, "", "test"); err != nil {
		t.Fatal(err)
	}
	_, body = b.get(t, "/feeds/en.atom")
	f = parseFeed(t, body)
	if !f.Entries[0].Withdrawn || strings.Contains(body, "Body of embargoed") {
		t.Fatalf("a recalled entry: %+v", f.Entries[0])
	}
}
