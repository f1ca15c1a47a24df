package templates

import (
	"errors"
	"strings"
	"testing"

	"github.com/communique/communique"
)

// FuzzRender renders messages from arbitrary titles, Markdown bodies and
// recipient names in every language and message, and checks what must
// hold for any input: bad input is an EINVALID error and nothing else;
// the complete message parses back with exactly our headers and one
// recipient; its parts are Personalize's output; the HTML carries no
// script; the subject has no line break.
//
//	go test ./templates/ -run '^$' -fuzz FuzzRender -fuzztime 60s
func FuzzRender(f *testing.F) {
	f.Add("Accord signé", sampleTexts["fr"].body, "Ana Silva", uint8(0))
	f.Add("Title", "<script>alert(1)</script>\n\n[x](javascript:alert(1))", "<b>x</b>", uint8(1))
	f.Add("a\r\nBcc: v@example.net", "*a* **b** `c`\r\n\r\n> q\n\n- l", "n\r\nBcc: v@example.net", uint8(2))
	f.Add("=?UTF-8?Q?x=0D=0A?=", "=?UTF-8?Q?=0A?=", "=?utf-8?b?eA0K?=", uint8(3))
	f.Add("عنوان", sampleTexts["ar"].body, "عوا", uint8(7))
	f.Add(" ", "", "", uint8(9))
	f.Add(strings.Repeat("x", 500), strings.Repeat("y ", 2000), strings.Repeat("z", 200), uint8(14))
	f.Add("cqslot", "cqslotN "+markerPrefix[:8], markerPrefix[:10]+"N", uint8(4))
	f.Add("t", "<img src=x onerror=alert(1)>\n\n<div style=\"position:fixed\">x</div>", "\x00\x7f\u2028", uint8(19))
	f.Fuzz(func(t *testing.T, title, body, name string, sel uint8) {
		lang := Languages()[int(sel)%4]
		variant := variantNames[int(sel/4)%len(variantNames)]
		r := sampleRelease(lang, variant)
		r.Title, r.Body = title, body
		p, err := Prepare(variant, r)
		if err != nil {
			var e *communique.Error
			if !errors.As(err, &e) || e.Code != communique.EINVALID {
				t.Fatalf("Prepare: %v", err)
			}
			return
		}
		if strings.ContainsAny(p.Subject(), "\r\n\x00") {
			t.Fatalf("subject %q", p.Subject())
		}
		rc := Recipient{Name: name, Email: "ana.silva@example.com", UnsubscribeURL: "https://news.example.org/u/t", TimeZone: sampleRecipientsTZ[lang]}
		text, html := p.Personalize(rc)
		lower := strings.ToLower(html)
		for _, bad := range []string{"<script", "href=\"javascript:", "onerror=", "position:fixed"} {
			if strings.Contains(lower, bad) {
				t.Fatalf("HTML part contains %q", bad)
			}
		}
		if strings.Contains(text, markerPrefix) || strings.Contains(html, markerPrefix) {
			t.Fatal("a marker reached the output")
		}
		pm := parseMail(t, writeMessage(t, p, testHeaders, rc))
		if pm.subject != p.Subject() {
			t.Fatalf("subject decodes to %q, want %q", pm.subject, p.Subject())
		}
		to, _ := pm.header.AddressList("To")
		if to[0].Address != rc.Email || to[0].Name != oneLine(name) {
			t.Fatalf("To decodes to %q <%s>", to[0].Name, to[0].Address)
		}
		if pm.parts[0].body != strings.ReplaceAll(text, "\r\n", "\n") || pm.parts[1].body != strings.ReplaceAll(html, "\r\n", "\n") {
			t.Fatal("a decoded part differs from Personalize's")
		}
	})
}
