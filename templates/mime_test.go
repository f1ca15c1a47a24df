package templates

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// parsedMail is a message as a receiving client reads it.
type parsedMail struct {
	header  mail.Header
	subject string
	parts   []parsedPart
}

type parsedPart struct {
	header textproto.MIMEHeader
	body   string // decoded, line breaks as LF
}

// ourHeaders are all the header fields WriteMessage writes; the
// injection tests check that nothing else ever appears.
var ourHeaders = map[string]bool{
	"Date": true, "From": true, "To": true, "Reply-To": true, "Subject": true, "Message-Id": true,
	"List-Id": true, "List-Unsubscribe": true, "List-Unsubscribe-Post": true, "Auto-Submitted": true,
	"Precedence": true, "Content-Language": true, "Mime-Version": true, "Content-Type": true,
}

// parseMail parses raw with net/mail and mime/multipart, checking what
// every message must satisfy whatever its content.
func parseMail(t testing.TB, raw []byte) parsedMail {
	t.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line %d is %d characters long", i+1, len(line))
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) ||
		bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatal("a bare CR or LF in the message")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v\n%s", err, raw)
	}
	for k := range msg.Header {
		if !ourHeaders[k] {
			t.Fatalf("unexpected header %q\n%s", k, raw)
		}
	}
	for _, k := range []string{"To", "From", "Subject", "Date", "Message-Id", "Content-Type"} {
		if n := len(msg.Header[k]); n != 1 {
			t.Fatalf("%d %s headers\n%s", n, k, raw)
		}
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To %q: %v, %d addresses", msg.Header.Get("To"), err, len(to))
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	pm := parsedMail{header: msg.Header, subject: subject}

	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("part Content-Transfer-Encoding %q", cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		pm.parts = append(pm.parts, parsedPart{header: part.Header, body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	}
	if len(pm.parts) != 2 {
		t.Fatalf("%d parts, want text and HTML", len(pm.parts))
	}
	for i, want := range []string{"text/plain", "text/html"} {
		mt, params, err := mime.ParseMediaType(pm.parts[i].header.Get("Content-Type"))
		if err != nil || mt != want || params["charset"] != "utf-8" {
			t.Fatalf("part %d: Content-Type %q, want %s; charset=utf-8", i, pm.parts[i].header.Get("Content-Type"), want)
		}
	}
	return pm
}

var testHeaders = Headers{
	FromName: "Media Office", FromEmail: "media@example.org",
	ReplyTo:          "awa.example@example.org",
	MessageID:        "delivery-7.release-42@example.org",
	Date:             time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
	ListID:           "Media Office releases <releases.example.org>",
	UnsubscribeHTTPS: "https://news.example.org/unsubscribe/tok123", UnsubscribeMailto: "mailto:unsubscribe+tok123@example.org",
}

func writeMessage(t testing.TB, p *Prepared, h Headers, rc Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.WriteMessage(&buf, h, rc); err != nil {
		t.Fatalf("WriteMessage: %v", err)
	}
	return buf.Bytes()
}

// TestWriteMessageParsesBack checks every message in every language as a
// receiving client reads it: headers, structure, charsets, languages, and
// parts identical to Personalize's.
func TestWriteMessageParsesBack(t *testing.T) {
	for _, lang := range Languages() {
		for _, msg := range variantNames {
			t.Run(msg+"/"+lang, func(t *testing.T) {
				p, err := Prepare(msg, sampleRelease(lang, msg))
				if err != nil {
					t.Fatal(err)
				}
				rc := sampleRecipient(lang)
				pm := parseMail(t, writeMessage(t, p, testHeaders, rc))
				h := pm.header
				for k, want := range map[string]string{
					"Message-Id":            "<delivery-7.release-42@example.org>",
					"From":                  "Media Office <media@example.org>",
					"Reply-To":              "<awa.example@example.org>",
					"List-Id":               "Media Office releases <releases.example.org>",
					"List-Unsubscribe":      "<https://news.example.org/unsubscribe/tok123>, <mailto:unsubscribe+tok123@example.org>",
					"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
					"Content-Language":      lang,
					"Auto-Submitted":        "auto-generated",
					"Precedence":            "bulk",
					"Mime-Version":          "1.0",
				} {
					if got := h.Get(k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				from, err := h.AddressList("From")
				if err != nil || len(from) != 1 || from[0].Name != "Media Office" || from[0].Address != "media@example.org" {
					t.Errorf("From %q: %v %v", h.Get("From"), from, err)
				}
				to, _ := h.AddressList("To")
				if to[0].Name != rc.Name || to[0].Address != rc.Email {
					t.Errorf("To = %v, want %s <%s>", to[0], rc.Name, rc.Email)
				}
				if d, err := h.Date(); err != nil || !d.Equal(testHeaders.Date) {
					t.Errorf("Date %q: %v", h.Get("Date"), err)
				}
				if pm.subject != p.Subject() {
					t.Errorf("subject decodes to %q, want %q", pm.subject, p.Subject())
				}
				text, html := p.Personalize(rc)
				for i, want := range []string{text, html} {
					if got := pm.parts[i].header.Get("Content-Language"); got != lang {
						t.Errorf("part %d Content-Language %q", i, got)
					}
					if pm.parts[i].body != want {
						t.Errorf("part %d differs from Personalize:\n%s", i, firstDiff(pm.parts[i].body, want))
					}
				}
			})
		}
	}
}

func firstDiff(a, b string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			lo := max(0, i-40)
			return fmt.Sprintf("at byte %d: got %q, want %q", i, a[lo:min(len(a), i+40)], b[lo:min(len(b), i+40)])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

func TestWriteMessageWithoutUnsubscribe(t *testing.T) {
	p := prepare(t, release("en"))
	h := testHeaders
	h.UnsubscribeHTTPS, h.UnsubscribeMailto, h.ReplyTo, h.ListID = "", "", "", ""
	raw := writeMessage(t, p, h, Recipient{Email: "mission@example.net"})
	pm := parseMail(t, raw)
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "List-Id"} {
		if v := pm.header.Get(k); v != "" {
			t.Errorf("%s: %q, want none", k, v)
		}
	}
	if got := pm.header.Get("To"); got != "<mission@example.net>" {
		t.Errorf("To = %q", got)
	}
}

func TestWriteMessageEncodesHeaders(t *testing.T) {
	r := sampleRelease("ar", VariantEmbargoed)
	r.Title = strings.Repeat("عنوان طويل جدا ", 12)
	p, err := Prepare(VariantEmbargoed, r)
	if err != nil {
		t.Fatal(err)
	}
	h := testHeaders
	h.FromName = "Bureau des médias, Genève"
	raw := writeMessage(t, p, h, Recipient{Name: "Zoë \"Zee\" Ø. Łukasz", Email: "zoe@bücher.example"})
	pm := parseMail(t, raw)
	header := string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])
	for i, line := range strings.Split(header, "\r\n") {
		if len(line) > 78 && !strings.HasPrefix(line, "List-Unsubscribe:") {
			t.Errorf("header line %d is %d characters: %q", i+1, len(line), line)
		}
	}
	if pm.subject != p.Subject() {
		t.Errorf("subject decodes to %q, want %q", pm.subject, p.Subject())
	}
	from, _ := pm.header.AddressList("From")
	to, _ := pm.header.AddressList("To")
	if from[0].Name != h.FromName || to[0].Name != "Zoë \"Zee\" Ø. Łukasz" {
		t.Errorf("names decode to %q and %q", from[0].Name, to[0].Name)
	}
	// An internationalized domain goes out in its ASCII form.
	if to[0].Address != "zoe@xn--bcher-kva.example" {
		t.Errorf("To address %q", to[0].Address)
	}
}

func TestWriteMessageRefusesBadHeaders(t *testing.T) {
	p := prepare(t, release("en"))
	for name, tc := range map[string]struct {
		edit func(*Headers, *Recipient)
	}{
		"to with CRLF":         {func(h *Headers, rc *Recipient) { rc.Email = "a@example.com\r\nBcc: v@example.net" }},
		"to with two":          {func(h *Headers, rc *Recipient) { rc.Email = "a@example.com, v@example.net" }},
		"to with angle":        {func(h *Headers, rc *Recipient) { rc.Email = "a@example.com>\r\n" }},
		"to empty":             {func(h *Headers, rc *Recipient) { rc.Email = "" }},
		"from with LF":         {func(h *Headers, rc *Recipient) { h.FromEmail = "m@example.org\nBcc: v@example.net" }},
		"reply-to with space":  {func(h *Headers, rc *Recipient) { h.ReplyTo = "a@example.org b@example.org" }},
		"message-id with CR":   {func(h *Headers, rc *Recipient) { h.MessageID = "x@example.org\rBcc: v" }},
		"message-id without @": {func(h *Headers, rc *Recipient) { h.MessageID = "x.example.org" }},
		"unsubscribe with LF":  {func(h *Headers, rc *Recipient) { h.UnsubscribeHTTPS = "https://e.org/u\nBcc: v@example.net" }},
		"unsubscribe script":   {func(h *Headers, rc *Recipient) { h.UnsubscribeHTTPS = "javascript:alert(1)" }},
		"mailto with angle":    {func(h *Headers, rc *Recipient) { h.UnsubscribeMailto = "mailto:u@example.org>, <https://evil.example" }},
		"list-id with CRLF":    {func(h *Headers, rc *Recipient) { h.ListID = "L <x.example.org>\r\n>" }},
	} {
		h, rc := testHeaders, ana
		tc.edit(&h, &rc)
		var buf bytes.Buffer
		if err := p.WriteMessage(&buf, h, rc); err == nil {
			t.Errorf("%s: accepted:\n%s", name, buf.String())
		}
	}
}

// TestQuotedPrintable checks the encoder against the standard decoder on
// lines that need soft breaks, trailing spaces and bytes to encode.
func TestQuotedPrintable(t *testing.T) {
	for _, s := range []string{
		"", "a", "a ", "a \nb", "a\t\nb", "=", strings.Repeat("x", 200), strings.Repeat("é", 60) + "\n",
		"line with trailing space \r\nnext", "\x00\x7f\r", strings.Repeat("a ", 80) + "\n" + strings.Repeat("=", 30),
	} {
		enc := appendQP(nil, s, true)
		sc := bufio.NewScanner(bytes.NewReader(enc))
		for sc.Scan() {
			if len(sc.Text()) > 76 {
				t.Errorf("%q: encoded line of %d characters", s, len(sc.Text()))
			}
		}
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
		want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
		if err != nil || string(dec) != want {
			t.Errorf("%q encodes to %q, decodes to %q (%v)", s, enc, dec, err)
		}
	}
}

func TestConcurrentWriteMessage(t *testing.T) {
	p := prepareVariant(t, VariantEmbargoed, sampleRelease("fr", VariantEmbargoed))
	want := writeMessage(t, p, testHeaders, sampleRecipient("fr"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			h := testHeaders
			if i%2 == 1 {
				h.FromName = "Service de presse" // a second sender, replacing the cached headers
			}
			for range 50 {
				var buf bytes.Buffer
				if err := p.WriteMessage(&buf, h, sampleRecipient("fr")); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 && !bytes.Equal(buf.Bytes(), want) {
					t.Error("concurrent WriteMessage differs")
					return
				}
			}
		})
	}
	wg.Wait()
}
