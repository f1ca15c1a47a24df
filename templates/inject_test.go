package templates

import (
	"bytes"
	"errors"
	"mime"
	"strings"
	"testing"

	"github.com/communique/communique"
)

// evil are values that try to end a header and start another, or add a
// recipient, by line breaks, encoded words or address syntax.
var evil = []string{
	"Hi\r\nBcc: victim@example.net",
	"Hi\nX-Evil: 1",
	"Hi\rBcc: victim@example.net",
	"Hi\r\n\r\n<html>body</html>",
	"=?UTF-8?Q?x=0D=0ABcc:_victim@example.net?=",
	"=?utf-8?b?eA0KQmNjOiB2aWN0aW1AZXhhbXBsZS5uZXQ=?=",
	"a =?UTF-8?Q?=0A?= b",
	"Evil <victim@example.net>, Other",
	"victim@example.net, other@example.net",
	`"quoted\" <victim@example.net>`,
	"Ünïcödé\u2028Bcc: victim@example.net\u0085X: y",
	"\x00\x1b[31mred\x7f",
	strings.Repeat("long ", 300) + "\r\nBcc: victim@example.net",
}

// TestHeaderInjection renders messages whose title (hence subject), the
// recipient's name and the sender's name carry each evil value, and
// parses them back: only our headers, exactly one recipient, and the
// values decode to what they said, on one line.
func TestHeaderInjection(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		for _, v := range evil {
			r := sampleRelease(lang, VariantEmbargoed)
			r.Title = v
			p, err := Prepare(VariantEmbargoed, r)
			if err != nil {
				var e *communique.Error
				if errors.As(err, &e) && strings.TrimSpace(oneLine(v)) == "" {
					continue // nothing printable: refused as an empty title
				}
				t.Fatalf("Prepare(%q): %v", v, err)
			}
			h := testHeaders
			h.FromName = v
			h.ListID = v + " <releases.example.org>"
			rc := Recipient{Name: v, Email: "ana.silva@example.com", TimeZone: "Europe/Paris", UnsubscribeURL: "https://news.example.org/u/t"}
			raw := writeMessage(t, p, h, rc)
			pm := parseMail(t, raw) // only our headers, one To, parts intact

			to, _ := pm.header.AddressList("To")
			if to[0].Address != "ana.silva@example.com" || to[0].Name != oneLine(v) {
				t.Errorf("%q: To decodes to %q <%s>", v, to[0].Name, to[0].Address)
			}
			from, err := pm.header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != oneLine(v) {
				t.Errorf("%q: From %q decodes to %v (%v)", v, pm.header.Get("From"), from, err)
			}
			if pm.subject != p.Subject() || strings.ContainsAny(pm.subject, "\r\n") {
				t.Errorf("%q: subject decodes to %q, want %q", v, pm.subject, p.Subject())
			}
			if strings.Contains(strings.ToLower(string(headerOf(raw))), "bcc:") && !strings.Contains(v, "Bcc") {
				t.Errorf("%q: a Bcc appeared", v)
			}
			// Whatever the value, decoding a header never yields a line break.
			for k, vs := range pm.header {
				for _, hv := range vs {
					dec, err := new(mime.WordDecoder).DecodeHeader(hv)
					if err != nil || strings.ContainsAny(dec, "\r\n") {
						t.Errorf("%q: header %s decodes to %q (%v)", v, k, dec, err)
					}
				}
			}
		}
	}
}

func headerOf(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i]
	}
	return raw
}

// TestAddressesCannotAddRecipients: an address is checked, never
// encoded, so a hostile one is an error rather than a second recipient.
func TestAddressesCannotAddRecipients(t *testing.T) {
	p := prepare(t, release("fr"))
	for _, addr := range []string{
		"a@example.com\r\nBcc: victim@example.net", "a@example.com\nTo: victim@example.net",
		"a@example.com, victim@example.net", "a@example.com>,<victim@example.net", "<a@example.com>",
		"a@example.com victim@example.net", `"a b"@example.com`, "a@exa mple.com", "a@[127.0.0.1]",
		"=?utf-8?q?a=0D=0A?=@example.com", "a\x00@example.com", "a@example.com;victim@example.net",
		"@example.com", "a@", "a", "a\u2028b@example.com", "a\u202eb@example.com", "a\xffb@example.com", "a\u3000b@example.com",
	} {
		for _, set := range []func(*Headers, *Recipient){
			func(h *Headers, rc *Recipient) { rc.Email = addr },
			func(h *Headers, rc *Recipient) { h.FromEmail = addr },
			func(h *Headers, rc *Recipient) { h.ReplyTo = addr },
		} {
			h, rc := testHeaders, ana
			set(&h, &rc)
			var buf bytes.Buffer
			if err := p.WriteMessage(&buf, h, rc); err == nil {
				t.Errorf("%q accepted:\n%s", addr, headerOf(buf.Bytes()))
			}
		}
	}
}

// An internationalized local part (RFC 6532) goes into To as UTF-8, for
// the mailer to send with SMTPUTF8; the domain goes as punycode.
func TestInternationalizedAddress(t *testing.T) {
	p := prepare(t, release("fr"))
	rc := ana
	rc.Email = "josé.müller@exämple.org"
	var buf bytes.Buffer
	if err := p.WriteMessage(&buf, testHeaders, rc); err != nil {
		t.Fatal(err)
	}
	if h := headerOf(buf.Bytes()); !bytes.Contains(h, []byte("josé.müller@xn--exmple-cua.org")) {
		t.Fatalf("To:\n%s", h)
	}
}
