package mailbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// get serves one request through the mailbox handler.
func get(t *testing.T, s *Server, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// alternative is a multipart/alternative message with a quoted-printable
// text part, a base64 HTML part and an attachment.
const alternative = "From: Media Office <media@example.org>\r\n" +
	"To: desk@example.com\r\n" +
	"Subject: =?UTF-8?Q?Caf=C3=A9_<b>news</b>?=\r\n" +
	"Message-ID: <alt@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Caf=C3=A9 opens at nine; a long line that is =\r\n" +
	"softly broken. <i>not markup</i>\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	// <p>Caf\u00e9 <b>opens</b></p><script>alert(1)</script>
	"PHA+Q2Fmw6kgPGI+b3BlbnM8L2I+PC9wPjxzY3JpcHQ+YWxl\r\n" +
	"cnQoMSk8L3NjcmlwdD4=\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf; name=\"release.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"release.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjQK\r\n" +
	"--outer--\r\n"

func TestJSONHandler(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})

	w := get(t, s, "/dev/mailbox.json")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Fatalf("empty mailbox: %d %q, want 200 []", w.Code, w.Body.String())
	}

	c := dial(t, addr)
	send(t, c, "media@example.org", []string{"a@example.com", "b@example.com"}, message("one", "x"))
	send(t, c, "media@example.org", []string{"c@example.com"}, message("=?UTF-8?Q?d=C3=A9ux?=", "x"))

	w = get(t, s, "/dev/mailbox.json")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got []Message
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	if got[0].ID != 1 || got[0].Subject != "one" || len(got[0].To) != 2 || got[0].MessageID != "one@example.org" || got[0].Received.IsZero() {
		t.Errorf("first = %+v", got[0])
	}
	if got[1].ID != 2 || got[1].Subject != "déux" {
		t.Errorf("second = %+v", got[1])
	}
	if strings.Contains(w.Body.String(), "Data") {
		t.Errorf("JSON carries the raw data: %s", w.Body.String())
	}
}

func TestListHandler(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	send(t, c, "media@example.org", []string{"desk@example.com"}, message("older", "x"))
	send(t, c, "media@example.org", []string{"desk@example.com"}, message("<script>alert(1)</script>", "x"))

	w := get(t, s, "/dev/mailbox")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("subject not escaped:\n%s", body)
	}
	for _, want := range []string{
		`<meta name="viewport"`,
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`href="/dev/mailbox/1"`,
		`href="/dev/mailbox/2"`,
		"desk@example.com",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "/dev/mailbox/2") > strings.Index(body, "/dev/mailbox/1") {
		t.Error("list is not newest first")
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestMessageHandler(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	send(t, c, "media@example.org", []string{"desk@example.com"}, alternative)

	w := get(t, s, "/dev/mailbox/1")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, body)
	}
	for _, want := range []string{
		`<meta name="viewport"`,
		"Café &lt;b&gt;news&lt;/b&gt;",                           // decoded, escaped subject
		"Café opens at nine; a long line that is softly broken.", // quoted-printable text
		"&lt;i&gt;not markup&lt;/i&gt;",                          // text stays text
		`<iframe class="html" sandbox src="/dev/mailbox/1/html"`, // HTML part kept apart
		"release.pdf", // attachment listed
		`href="/dev/mailbox/1.eml"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<b>") || strings.Contains(body, "<script>") {
		t.Errorf("message page carries markup from the message:\n%s", body)
	}

	w = get(t, s, "/dev/mailbox/1/html")
	if got, want := w.Body.String(), "<p>Café <b>opens</b></p><script>alert(1)</script>"; got != want {
		t.Errorf("HTML part = %q, want %q", got, want)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("HTML part Content-Security-Policy = %q", csp)
	}

	w = get(t, s, "/dev/mailbox/1.eml")
	m, _ := s.Message(1)
	if w.Code != http.StatusOK || w.Body.String() != string(m.Data) {
		t.Errorf(".eml: %d, body differs from the message data", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "message/rfc822" {
		t.Errorf(".eml Content-Type = %q", ct)
	}
}

func TestMessageHandlerNotFound(t *testing.T) {
	t.Parallel()
	s, addr := setup(t, Options{})
	c := dial(t, addr)
	send(t, c, "media@example.org", []string{"desk@example.com"}, message("plain", "no html here"))

	for _, path := range []string{
		"/dev/mailbox/2",
		"/dev/mailbox/0",
		"/dev/mailbox/abc",
		"/dev/mailbox/2.eml",
		"/dev/mailbox/1/html", // no HTML part
	} {
		if w := get(t, s, path); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
	if w := get(t, s, "/dev/mailbox/1"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "no html here") {
		t.Errorf("GET /dev/mailbox/1: %d\n%s", w.Code, w.Body.String())
	}
}
