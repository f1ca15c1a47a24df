package newsroom_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/releases"
)

type urlset struct {
	URLs []struct {
		Loc     string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
		LastMod string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 lastmod"`
		Alts    []struct {
			Rel      string `xml:"rel,attr"`
			Hreflang string `xml:"hreflang,attr"`
			Href     string `xml:"href,attr"`
		} `xml:"http://www.w3.org/1999/xhtml link"`
	} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
}

func TestSitemapListsEachLanguageWithItsAlternates(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	b.publish(t, spec{slug: "two", langs: map[string]releases.Translation{"en": {Title: "Two"}, "fr": {Title: "Deux"}}})
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "later", until: &until})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	b.create(t, spec{slug: "draft"})

	read := func() urlset {
		res, body := b.get(t, "/sitemap.xml")
		wantStatus(t, res, body, 200)
		var s urlset
		if err := xml.Unmarshal([]byte(body), &s); err != nil {
			t.Fatalf("sitemap: %v\n%s", err, body)
		}
		return s
	}
	s := read()
	if len(s.URLs) != 2 {
		t.Fatalf("sitemap has %d addresses, want the two languages of the one public release: %+v", len(s.URLs), s)
	}
	for _, u := range s.URLs {
		if len(u.Alts) != 2 || u.Alts[0].Hreflang != "en" || u.Alts[0].Href != base+"/releases/two?lang=en" ||
			u.Alts[1].Hreflang != "fr" || u.Alts[1].Href != base+"/releases/two?lang=fr" || u.LastMod != "2026-12-01T08:00:00Z" {
			t.Errorf("address %s: %+v", u.Loc, u)
		}
	}
	b.clk.set(until.Add(-time.Millisecond))
	b.lc.LiftDue(ctx)
	if n := len(read().URLs); n != 2 {
		t.Fatalf("a millisecond before the lift the sitemap has %d addresses", n)
	}
	b.clk.set(until)
	b.lc.LiftDue(ctx)
	if s := read(); len(s.URLs) != 3 || s.URLs[0].Loc != base+"/releases/later?lang=en" {
		t.Fatalf("after the lift: %+v", s.URLs)
	}
	if err := b.lc.Recall(ctx, id, "", "test"); err != nil {
		t.Fatal(err)
	}
	if n := len(read().URLs); n != 2 {
		t.Fatalf("a withdrawn release stays in the sitemap (%d addresses)", n)
	}
}

var ldRE = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)

func TestReleasePageMetadata(t *testing.T) {
	b := setup(t)
	b.publish(t, spec{slug: "meta", langs: map[string]releases.Translation{
		"en": {Title: `Quotes "and" <tags>`, Summary: "What happened </script>", Dateline: "Geneva"}}})
	_, body := b.get(t, "/releases/meta")
	for _, want := range []string{
		`<meta property="og:type" content="article">`,
		`<meta property="og:title" content="Quotes &#34;and&#34; &lt;tags&gt;">`,
		`<meta property="og:url" content="` + base + `/releases/meta?lang=en">`,
		`<meta property="og:description" content="What happened &lt;/script&gt;">`,
		`<meta property="og:site_name" content="International Migration Agency">`,
		`<meta property="article:published_time" content="2026-12-01T08:00:00Z">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	m := ldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no JSON-LD:\n%s", body)
	}
	var ld map[string]any
	if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
		t.Fatalf("JSON-LD %q: %v", m[1], err)
	}
	for k, want := range map[string]any{"@context": "https://schema.org", "@type": "NewsArticle", "headline": `Quotes "and" <tags>`,
		"description": "What happened </script>", "inLanguage": "en", "datePublished": "2026-12-01T08:00:00Z",
		"url": base + "/releases/meta?lang=en", "dateline": "Geneva"} {
		if ld[k] != want {
			t.Errorf("JSON-LD %s = %v, want %v", k, ld[k], want)
		}
	}
	if pub, _ := ld["publisher"].(map[string]any); pub["name"] != "International Migration Agency" {
		t.Errorf("JSON-LD publisher = %v", ld["publisher"])
	}
}

func TestConditionalGet(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	id := b.publish(t, spec{slug: "cached"})
	for _, path := range []string{"/releases/cached", "/", "/feeds/en.atom", "/sitemap.xml"} {
		res, body := b.get(t, path)
		wantStatus(t, res, body, 200)
		tag, mod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if tag == "" || mod != "Tue, 01 Dec 2026 08:00:00 GMT" {
			t.Fatalf("%s: ETag %q, Last-Modified %q", path, tag, mod)
		}
		res, body = b.get(t, path, "If-None-Match: "+tag)
		wantStatus(t, res, body, http.StatusNotModified)
		if body != "" {
			t.Errorf("%s: a 304 with a body", path)
		}
		res, body = b.get(t, path, "If-Modified-Since: "+mod)
		wantStatus(t, res, body, http.StatusNotModified)
		res, body = b.get(t, path, `If-None-Match: "other"`, "If-Modified-Since: "+mod)
		wantStatus(t, res, body, 200) // If-None-Match decides
	}

	res, _ := b.get(t, "/releases/cached")
	tag := res.Header.Get("ETag")
	b.clk.set(t0.Add(time.Minute))
	fixed := "Fixed."
	if err := b.lc.Correct(ctx, id, releases.Correction{Translations: map[string]releases.TranslationPatch{"en": {Body: &fixed}}}, "test"); err != nil {
		t.Fatal(err)
	}
	res, body := b.get(t, "/releases/cached", "If-None-Match: "+tag)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "Fixed.") || res.Header.Get("ETag") == tag || res.Header.Get("Last-Modified") != "Tue, 01 Dec 2026 08:01:00 GMT" {
		t.Errorf("after a correction: ETag %q, Last-Modified %q", res.Header.Get("ETag"), res.Header.Get("Last-Modified"))
	}
	if res.Header.Get("Cache-Control") != "public, no-cache" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
}
