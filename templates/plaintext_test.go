package templates

import (
	"testing"

	"github.com/yuin/goldmark/text"
)

func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"headings", "# One\n\n## Two\n\n### Three\n\nText.", "One\n===\n\nTwo\n---\n\nThree\n\nText."},
		{"entities and escapes", `AT&amp;T \*not emphasis\* &#233;t&eacute;`, "AT&T *not emphasis* été"},
		{"hard break", "line one  \nline two\\\nline three", "line one\nline two\nline three"},
		{"emphasis and code", "*a* **b** ~~c~~ `x &amp; \\*`", "a b c x &amp; \\*"},
		{"nested list", "- a\n  - b\n  - c\n- d", "- a\n  - b\n  - c\n- d"},
		{"loose ordered list", "3. first\n\n   more\n\n4. second", "3. first\n\n   more\n\n4. second"},
		{"quote", "> quoted\n>\n> again", "> quoted\n>\n> again"},
		{"code block", "```\nif a < b {\n}\n```", "    if a < b {\n    }"},
		{"rule", "a\n\n---\n\nb", "a\n\n" + "------------------------" + "\n\nb"},
		{"html block dropped", "a\n\n<div>\nx\n</div>\n\nb", "a\n\nb"},
		{"image", "![Map of the region](https://example.org/map.png)", "[Image: Map of the region] <https://example.org/map.png>"},
		{"wrap keeps no-break spaces", "aaaa bbbb cccc\u00a0:", "aaaa bbbb\ncccc\u00a0:"},
		{"long word alone", "a https://example.org/a/very/long/path b", "a\nhttps://example.org/a/very/long/path\nb"},
	} {
		src := []byte(tc.md)
		doc := markdown.Parser().Parse(text.NewReader(src))
		width := textWidth
		if tc.name == "wrap keeps no-break spaces" || tc.name == "long word alone" {
			width = 10
		}
		if got := plainText(doc, src, width, labelSets["en"]); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                  "plain",
		"  padded  ":             "padded",
		"a\r\nb":                 "a b",
		"a \t b":                 "a b",
		"a\u2028b\u0085c":        "a b c",
		"keeps\u00a0nbsp, é, 日本": "keeps\u00a0nbsp, é, 日本",
		"":                       "",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
