package web

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/mailbox"
)

// realSMTP has a dispatcher send b's queued mail through the mailer to an
// SMTP server in the test, as the service does, and returns that server.
func (b *bundle) realSMTP() *mailbox.Server {
	b.t.Helper()
	mb, pool := b.withMail(mailbox.Options{})
	b.withDispatcher(pool)
	return mb
}

// received is a message as its reader sees it: its headers and its
// decoded text and HTML parts.
type received struct {
	header     mail.Header
	text, html string
}

func parseReceived(t *testing.T, raw []byte) received {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	r := received{header: msg.Header}
	var walk func(contentType, encoding string, body io.Reader)
	walk = func(contentType, encoding string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(contentType)
		if err != nil {
			t.Fatalf("Content-Type %q: %v", contentType, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
			}
		}
		switch strings.ToLower(encoding) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s part: %v", mt, err)
		}
		switch mt {
		case "text/plain":
			r.text = string(data)
		case "text/html":
			r.html = string(data)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return r
}

// Whatever the requester types goes nowhere near the mail: the address
// alone is used, so the organisation's own address cannot be made to
// deliver someone's words, and a quote in a name cannot break a header.
func TestConfirmationCarriesNoRequesterText(t *testing.T) {
	b := setup(t)
	mb := b.realSMTP()
	browser, csrf := b.subscribeForm()
	cases := []struct{ email, name string }{
		{"pitch@example.org", "Claim your prize at https://prize.example.net/now"},
		{"chef@example.org", `Jean "Le Chef`},
	}
	for _, tc := range cases {
		status, _, _ := b.fetch(browser, "POST", "/subscribe?lang=fr", subscription(csrf, tc.email,
			"name", tc.name, "organisation", "Read https://spam.example.net"))
		if status != http.StatusOK {
			t.Fatalf("%s: %d", tc.email, status)
		}
	}
	b.settle()
	msgs := mb.Messages()
	if len(msgs) != len(cases) {
		t.Fatalf("%d messages, want %d", len(msgs), len(cases))
	}
	for _, tc := range cases {
		// The mails go out side by side: find each by its recipient.
		i := slices.IndexFunc(msgs, func(m mailbox.Message) bool { return slices.Equal(m.To, []string{tc.email}) })
		if i < 0 {
			t.Fatalf("no mail to %s", tc.email)
		}
		m := parseReceived(t, msgs[i].Data)
		to, err := mail.ParseAddressList(m.header.Get("To"))
		if err != nil || len(to) != 1 || to[0].Name != "" || to[0].Address != tc.email {
			t.Errorf("To: %q (%v), want the bare address %s", m.header.Get("To"), err, tc.email)
		}
		for _, part := range []string{m.header.Get("To"), m.header.Get("Subject"), m.text, m.html} {
			for _, typed := range []string{"prize", "Chef", "spam.example"} {
				if strings.Contains(part, typed) {
					t.Errorf("the mail to %s carries %q:\n%s", tc.email, typed, part)
				}
			}
		}
		if !strings.Contains(m.text, "Madame, Monsieur,") || !strings.Contains(m.html, "Madame, Monsieur,") {
			t.Errorf("the greeting is not the neutral one:\n%s", m.text)
		}
		link := confirmLink.FindString(m.text)
		if status, page, _ := b.fetch(b.browser(), "GET", link, nil); status != http.StatusOK || !strings.Contains(page, "Confirmer mon abonnement") {
			t.Errorf("the confirmation link of %s: %d", tc.email, status)
		}
		if c := b.contact(tc.email); c.Status != "pending" {
			t.Errorf("%s: %+v", tc.email, c)
		}
	}
}

var linkForm = regexp.MustCompile(`action="(/unsubscribe/[A-Za-z0-9_-]+/preferences\?lang=[a-z]+)"`)

// The unsubscribe link never expires and travels with every forwarded
// release, so its page shows no profile and offers the preferences only
// by mailing a link to the address.
func TestUnsubscribePageMailsThePreferencesLink(t *testing.T) {
	b := setup(t)
	var c struct{ ID int64 }
	b.api("POST", "/api/v1/contacts", `{"email": "lector@example.org", "name": "Nombre Privado", "organisation": "Medio Secreto",
		"regions": ["europe"], "languages": ["es"]}`, &c)
	unsubURL := "/unsubscribe/" + b.signer.Token("unsubscribe", c.ID, time.Time{})
	browser := b.browser()
	status, page, _ := b.fetch(browser, "GET", unsubURL, nil)
	private := []string{"/preferences/", "Nombre Privado", "Medio Secreto"}
	if status != http.StatusOK || !strings.Contains(page, "Enviarme un enlace para cambiar mis preferencias") || containsAny(page, private) {
		t.Fatalf("unsubscribe page: %d\n%s", status, page)
	}
	m := linkForm.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form to ask for the link:\n%s", page)
	}
	action := html.UnescapeString(m[1])

	if status, _, _ := b.fetch(b.browser(), "POST", action, url.Values{"csrf": {"forged"}}); status != http.StatusForbidden || len(b.mails()) != 0 {
		t.Fatalf("without the form's token: %d, %d mails", status, len(b.mails()))
	}
	status, page, _ = b.fetch(browser, "POST", action, url.Values{"csrf": {csrfOf(t, page)}})
	if status != http.StatusOK || !strings.Contains(page, "le hemos enviado un enlace para cambiar sus preferencias") || containsAny(page, private) {
		t.Fatalf("asking for the link: %d\n%s", status, page)
	}
	mails := b.mails()
	if len(mails) != 1 || mails[0].ToEmail != "lector@example.org" || mails[0].ToName != "" || mails[0].Language != "es" ||
		mails[0].Subject != "Su enlace para cambiar lo que recibe de nuestra oficina de prensa" {
		t.Fatalf("mails: %+v", mails)
	}
	prefsURL := regexp.MustCompile(`https?://\S+/preferences/[A-Za-z0-9_-]+\?lang=es`).FindString(mails[0].Text)
	status, page, _ = b.fetch(b.browser(), "GET", prefsURL, nil)
	if status != http.StatusOK || !strings.Contains(page, "Nombre Privado") {
		t.Fatalf("the mailed link %q: %d", prefsURL, status)
	}

	// At most three such mails a day.
	for range 3 {
		_, page, _ = b.fetch(browser, "GET", unsubURL, nil)
		b.fetch(browser, "POST", action, url.Values{"csrf": {csrfOf(t, page)}})
	}
	if n := len(b.mails()); n != 3 {
		t.Errorf("%d preferences links, want 3", n)
	}

	// Old links keep unsubscribing, by the page's button or one click.
	resp, err := http.Post(b.srv.URL+unsubURL, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	resp.Body.Close()
	if c := b.contact("lector@example.org"); c.Status != "unsubscribed" {
		t.Errorf("after unsubscribing: %+v", c)
	}
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
