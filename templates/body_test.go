package templates

import (
	"strings"
	"testing"
)

func renderMD(t *testing.T, lang, md string) (text, html string) {
	t.Helper()
	b, err := renderBody([]byte(md), labelSets[lang])
	if err != nil {
		t.Fatal(err)
	}
	return b.text, b.html
}

const officesTable = `| Office | Opens | Staff |
|:--|:-:|--:|
| Nouakchott | 2027 | 12 |
| Genève | 1951 | 1 250 |
| 東京 | 2030 | 3 |
`

// Tables: in HTML, inline styles and attributes a mail client reads
// without a stylesheet, aligned as the Markdown says; in plain text,
// columns padded to their display width (the two Japanese characters take
// two columns each).
func TestTables(t *testing.T) {
	text, html := renderMD(t, "en", officesTable)
	want := strings.Join([]string{
		"Office      Opens  Staff",
		"----------  -----  -----",
		"Nouakchott  2027      12",
		"Genève      1951   1 250",
		"東京        2030       3",
	}, "\n")
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
	mustContain(t, "html", html,
		`<table cellpadding="6" cellspacing="0" style="border-collapse:collapse;margin:0 0 16px 0;">`,
		`<th align="left" style="border:1px solid #cccccc;padding:6px 10px;vertical-align:top;background-color:#f2f2f2;font-weight:bold;text-align:left;">Office</th>`,
		`<th align="center" style="`, `text-align:center;">Opens</th>`,
		`<td align="right" style="border:1px solid #cccccc;padding:6px 10px;vertical-align:top;text-align:right;">1 250</td>`,
		`<td align="left" style="border:1px solid #cccccc;padding:6px 10px;vertical-align:top;text-align:left;">東京</td>`)
	mustNotContain(t, "html", html, "class=", "<style")

	// A column without alignment starts where the language starts.
	_, html = renderMD(t, "ar", "| المكتب | الموظفون |\n|---|--:|\n| نواكشوط | 12 |\n")
	mustContain(t, "html", html, `<th align="right" style="`, `text-align:right;">المكتب</th>`)

	// Right to left: every line starts with a right-to-left mark, so rows
	// that start with a number lay out like the others, and left and right
	// swap in the padding, as the columns do.
	text, _ = renderMD(t, "ar", "| السنة | المكتب | الموظفون |\n|---|:--|--:|\n| 2027 | نواكشوط | 12 |\n| 1951 | جنيف | 1250 |\n")
	want = strings.Join([]string{
		rlm + "السنة   المكتب  الموظفون",
		rlm + "-----  -------  --------",
		rlm + "2027   نواكشوط  12",
		rlm + "1951      جنيف  1250",
	}, "\n")
	if text != want {
		t.Errorf("rtl text:\n%q\nwant:\n%q", text, want)
	}

	// Too wide for a line: one block per row.
	text, _ = renderMD(t, "fr", "| Bureau | Adresse |\n|---|---|\n| Nouakchott | "+strings.Repeat("Rue de l'Espoir ", 5)+"|\n| Genève | Route des Morillons |\n")
	want = "Bureau\u00a0: Nouakchott\nAdresse\u00a0: Rue de l'Espoir Rue de l'Espoir Rue de l'Espoir Rue de\nl'Espoir Rue de l'Espoir\n\nBureau\u00a0: Genève\nAdresse\u00a0: Route des Morillons"
	if text != want {
		t.Errorf("wide table:\n%s\nwant:\n%s", text, want)
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"Nouakchott": 10, "Genève": 6, "e\u0301": 1, "東京": 4, "서울": 4,
		"مكتبًا": 5, "وُقّع": 3, // vowel marks take no column
		"\u2066+222\u2069": 4, rlm: 0, "": 0,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// Images keep their alt text: in HTML as the alt attribute, in plain
// text in its place, in the reader's language; an image the HTML part
// cannot show is its alt text in both.
func TestImagesKeepAltText(t *testing.T) {
	md := "![Signing of the agreement](https://www.example.org/signing.jpg \"Geneva\") ![](https://www.example.org/logo.png) ![Map](map.png)"
	text, html := renderMD(t, "en", md)
	if want := "[Image: Signing of the agreement] <https://www.example.org/signing.jpg>\n[Image] <https://www.example.org/logo.png> Map"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	mustContain(t, "html", html, `<img src="https://www.example.org/signing.jpg" alt="Signing of the agreement" title="Geneva"`, "> Map</p>")
	mustNotContain(t, "html", html, "map.png")
	for lang, want := range map[string]string{
		"fr": "[Image\u00a0: Signature] <https://www.example.org/s.jpg>",
		"es": "[Imagen: Signature] <https://www.example.org/s.jpg>",
		"ar": "[صورة: Signature] \u2066<https://www.example.org/s.jpg>\u2069",
	} {
		if text, _ := renderMD(t, lang, "![Signature](https://www.example.org/s.jpg)"); text != want {
			t.Errorf("%s: %q, want %q", lang, text, want)
		}
	}
}

// The end mark of a press release stays, as written, centred.
func TestEndMarks(t *testing.T) {
	for _, mark := range []string{"###", "# # #", "####"} {
		text, html := renderMD(t, "en", "Last paragraph.\n\n"+mark+"\n")
		pad := strings.Repeat(" ", (textWidth-len(mark))/2)
		if want := "Last paragraph.\n\n" + pad + mark; text != want {
			t.Errorf("%q: text %q, want %q", mark, text, want)
		}
		mustContain(t, "html", html, `<p style="margin:24px 0 16px 0;text-align:center;">`+mark+"</p>")
	}
	text, html := renderMD(t, "en", "Text.\n\n-30-\n")
	mustContain(t, "text", text, "\n-30-")
	mustContain(t, "html", html, ">-30-</p>")
	// A heading is still a heading, and "###" in code is code.
	text, _ = renderMD(t, "en", "### Background\n\n```\n###\n```\n")
	if want := "Background\n\n    ###"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
}

// Phone numbers, e-mail addresses and links in right-to-left text are
// isolated, so they read in their own order; nothing changes in
// left-to-right text.
func TestRightToLeftIsolates(t *testing.T) {
	md := "للاستفسار: +222 45 00 00 00 أو (022) 123-4567 أو awa.example@example.org\nأو www.example.org/ar، في عام 2027 (وليس 2026)."
	text, html := renderMD(t, "ar", md)
	mustContain(t, "html", html,
		`للاستفسار: <bdi dir="ltr">+222 45 00 00 00</bdi> أو <bdi dir="ltr">(022) 123-4567</bdi> أو <bdi dir="ltr"><a href="mailto:awa.example@example.org"`,
		`<bdi dir="ltr"><a href="http://www.example.org/ar" style="color:#0b5cad;text-decoration:underline;" rel="nofollow">www.example.org/ar</a></bdi>،`,
		"في عام 2027 (وليس 2026).")
	want := "للاستفسار: " + lri + "+222 45 00 00 00" + pdi + " أو " + lri + "(022) 123-4567" + pdi + " أو " +
		lri + "awa.example@example.org" + pdi + "\nأو " + lri + "www.example.org/ar" + pdi + "، في عام 2027 (وليس 2026)."
	if text != want {
		t.Errorf("text\n got %q\nwant %q", text, want)
	}
	text, html = renderMD(t, "en", "Call +222 45 00 00 00 or write to awa.example@example.org.")
	mustNotContain(t, "html", html, "<bdi")
	mustNotContain(t, "text", text, lri, pdi)
}

// A line never breaks inside an isolated run: a phone number stays whole.
func TestWrapKeepsIsolatesWhole(t *testing.T) {
	s := "aaaa " + lri + "+222 45 00 00 00" + pdi + " bbbb"
	got := wrapLines(s, 12)
	want := []string{"aaaa", lri + "+222 45 00 00 00" + pdi, "bbbb"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrapLines = %q, want %q", got, want)
	}
}

// The sanitizer lets through what the Markdown renderer writes, styles
// included, and nothing else, whatever an author types.
func TestBodyPolicyAllowsExactly(t *testing.T) {
	for in, want := range map[string]string{
		`<table class="x" style="color:red" cellpadding="0" border="9" onclick="f()"><tr><td align="justify" style="position:fixed">x</td></tr></table>`: `<table><tr><td>x</td></tr></table>`,
		`<bdi dir="rtl" class="x">y</bdi>`:                                            `<bdi>y</bdi>`,
		`<p style="margin:0 0 16px 0;" id="x" lang="fr">z</p>`:                        `<p style="margin:0 0 16px 0;">z</p>`,
		`<img src="https://e.example/a.png" alt="A" width="9999" onerror="f()">`:      `<img src="https://e.example/a.png" alt="A">`,
		`<a href="https://e.example/" target="_blank">l</a><div><span>s</span></div>`: `<a href="https://e.example/" rel="nofollow">l</a>s`,
		`<ol start="3" type="i"><li>x</li></ol><code class="language-go">c</code>`:    `<ol start="3"><li>x</li></ol><code>c</code>`,
	} {
		if got := bodyPolicy.Sanitize(in); got != want {
			t.Errorf("Sanitize(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}
