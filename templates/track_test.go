package templates

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// testTracking counts opens and clicks at news.example.org, naming the
// target in the address so the tests can read it back.
func testTracking(pixel, clicks bool) *Tracking {
	t := &Tracking{}
	if pixel {
		t.Pixel = "https://news.example.org/t/o/open-token.gif"
	}
	if clicks {
		t.Click = func(target string) string {
			return "https://news.example.org/t/c/click-token?u=" + url.QueryEscape(target)
		}
	}
	return t
}

// With nothing tracked, every message in every language is the same,
// byte for byte, as without tracking.
func TestTrackingOffIsByteIdentical(t *testing.T) {
	for _, lang := range Languages() {
		for _, msg := range variantNames {
			p, err := Prepare(msg, sampleRelease(lang, msg))
			if err != nil {
				t.Fatal(err)
			}
			rc := sampleRecipient(lang)
			plain := writeMessage(t, p, testHeaders, rc)
			rc.Track = &Tracking{}
			if off := writeMessage(t, p, testHeaders, rc); !bytes.Equal(plain, off) {
				t.Fatalf("%s/%s: tracking nothing changed the message at %s", msg, lang, firstDiff(string(plain), string(off)))
			}
		}
	}
}

var hrefRE = regexp.MustCompile(`(?i)<(a|img)\b[^>]*?\s(href|src)="([^"]*)"`)

// links returns the href of each <a> and the src of each <img> of an
// HTML part, unescaped.
func links(part string) (hrefs, srcs []string) {
	for _, m := range hrefRE.FindAllStringSubmatch(part, -1) {
		u := strings.ReplaceAll(m[3], "&amp;", "&")
		if strings.EqualFold(m[1], "a") {
			hrefs = append(hrefs, u)
		} else {
			srcs = append(srcs, u)
		}
	}
	return hrefs, srcs
}

// clickTarget returns the target a click address leads to, or "".
func clickTarget(u string) string {
	const prefix = "https://news.example.org/t/c/click-token?u="
	if !strings.HasPrefix(u, prefix) {
		return ""
	}
	v, err := url.QueryUnescape(u[len(prefix):])
	if err != nil {
		return ""
	}
	return v
}

// Every http(s) link of both parts leads through its click address; the
// unsubscribe and preview links, mailto: links and images stay as they
// are; the HTML part ends with the pixel and the text has none.
func TestTrackingRewritesLinks(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		for _, msg := range []string{VariantPublic, VariantEmbargoed, VariantCorrection} {
			p, err := Prepare(msg, sampleRelease(lang, msg))
			if err != nil {
				t.Fatal(err)
			}
			rc := sampleRecipient(lang)
			plain := parseMail(t, writeMessage(t, p, testHeaders, rc))
			rc.Track = testTracking(true, true)
			m := parseMail(t, writeMessage(t, p, testHeaders, rc))
			text, html := m.parts[0].body, m.parts[1].body

			wantHrefs, wantSrcs := links(plain.parts[1].body)
			hrefs, srcs := links(html)
			if len(hrefs) != len(wantHrefs) {
				t.Fatalf("%s/%s: %d links, want %d", msg, lang, len(hrefs), len(wantHrefs))
			}
			clicked := 0
			for i, h := range hrefs {
				was := wantHrefs[i]
				switch {
				case was == rc.UnsubscribeURL || was == rc.PreviewURL || strings.HasPrefix(was, "mailto:"):
					if h != was {
						t.Errorf("%s/%s: %q became %q", msg, lang, was, h)
					}
				case clickTarget(h) == was:
					clicked++
				default:
					t.Errorf("%s/%s: link %q became %q, want its click address", msg, lang, was, h)
				}
			}
			if clicked < 1 || (msg != VariantEmbargoed && clicked < 2) {
				t.Errorf("%s/%s: %d links rewritten; the body's and the newsroom's were expected", msg, lang, clicked)
			}
			// The pixel is the last image, just before </body>.
			if len(srcs) != len(wantSrcs)+1 || srcs[len(srcs)-1] != rc.Track.Pixel {
				t.Errorf("%s/%s: images %q, want %q and the pixel", msg, lang, srcs, wantSrcs)
			}
			if !regexp.MustCompile(`<img src="https://news\.example\.org/t/o/open-token\.gif"[^>]*>\n?</body>`).MatchString(html) {
				t.Errorf("%s/%s: no pixel before </body>", msg, lang)
			}

			if strings.Contains(text, "/t/o/") {
				t.Errorf("%s/%s: the plain text has the pixel", msg, lang)
			}
			for _, keep := range []string{"<" + rc.UnsubscribeURL + ">"} {
				if !strings.Contains(text, keep) {
					t.Errorf("%s/%s: text lost %s", msg, lang, keep)
				}
			}
			if msg == VariantEmbargoed && !strings.Contains(text, "<"+rc.PreviewURL+">") {
				t.Errorf("%s/%s: text lost the preview link", msg, lang)
			}
			for _, was := range regexp.MustCompile(`<(https?://[^>\s]+)>`).FindAllStringSubmatch(plain.parts[0].body, -1) {
				if was[1] == rc.UnsubscribeURL || was[1] == rc.PreviewURL {
					continue
				}
				want := "<" + rc.Track.Click(was[1]) + ">"
				if !strings.Contains(text, want) {
					t.Errorf("%s/%s: text: %s not rewritten", msg, lang, was[1])
				}
			}
		}
	}
}

// Opens alone add the pixel and leave links; clicks alone rewrite links
// and add no pixel.
func TestTrackingOpensOrClicksAlone(t *testing.T) {
	p, err := Prepare(VariantPublic, sampleRelease("fr", VariantPublic))
	if err != nil {
		t.Fatal(err)
	}
	rc := sampleRecipient("fr")
	rc.Track = testTracking(true, false)
	m := parseMail(t, writeMessage(t, p, testHeaders, rc))
	if !strings.Contains(m.parts[1].body, "/t/o/open-token.gif") || strings.Contains(m.parts[1].body+m.parts[0].body, "/t/c/") {
		t.Error("opens alone: want the pixel and no click address")
	}
	rc.Track = testTracking(false, true)
	m = parseMail(t, writeMessage(t, p, testHeaders, rc))
	if strings.Contains(m.parts[1].body, "/t/o/") || !strings.Contains(m.parts[1].body, "/t/c/") || !strings.Contains(m.parts[0].body, "/t/c/") {
		t.Error("clicks alone: want click addresses and no pixel")
	}
}

// The finder reads href as HTML does: any case, either quote or none,
// after other attributes, escaped; it skips what is not an <a> or not
// http(s), and anything in a comment.
func TestHTMLLinks(t *testing.T) {
	s := `<p><A title="a > b" HREF='https://one.example/x?a=1&amp;b=2'>one</A>` +
		`<a href=http://two.example/>two</a><a name=x>anchor</a>` +
		`<a href="mailto:x@example.org">m</a><a href="javascript:alert(1)">j</a>` +
		`<!-- <a href="https://comment.example/"> --><link href="https://style.example/">` +
		`<a data-href="https://data.example/" href = "https://three.example/">3</a></p>`
	var got []string
	for _, sp := range htmlLinks(s) {
		got = append(got, sp.target+" @ "+s[sp.start:sp.end])
	}
	want := []string{
		"https://one.example/x?a=1&b=2 @ https://one.example/x?a=1&amp;b=2",
		"http://two.example/ @ http://two.example/",
		"https://three.example/ @ https://three.example/",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTextLinks(t *testing.T) {
	s := "See <https://one.example/a?b=c> and <mailto:x@example.org>, <http://two.example/>\n" +
		"not <https://broken.example/ x> nor https://bare.example/ but <https://three.example/>."
	var got []string
	for _, sp := range textLinks(s) {
		got = append(got, s[sp.start:sp.end])
	}
	if strings.Join(got, " ") != "https://one.example/a?b=c http://two.example/ https://three.example/" {
		t.Fatalf("got %q", got)
	}
}

// FuzzTrackLinks checks that the finders' spans lie in order inside
// their part, never overlap, and hold what they name.
func FuzzTrackLinks(f *testing.F) {
	f.Add(`<a href="https://one.example/?a=1&amp;b=2">x</a> <https://two.example/>`)
	f.Add(`<A HREF=http://x.example/ title='<a href="https://y.example/">'>`)
	f.Add("<a href='https://x.example/\n'><https://y.example/\x00>")
	f.Fuzz(func(t *testing.T, s string) {
		for name, find := range map[string]func(string) []span{"html": htmlLinks, "text": textLinks} {
			end := 0
			for _, sp := range find(s) {
				if sp.start < end || sp.end < sp.start || sp.end > len(s) || !trackable(sp.target) {
					t.Fatalf("%s: span %+v after %d in %q", name, sp, end, s)
				}
				if name == "text" && s[sp.start:sp.end] != sp.target {
					t.Fatalf("text: span %q names %q", s[sp.start:sp.end], sp.target)
				}
				end = sp.end
			}
		}
	})
}
