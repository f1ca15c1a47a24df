package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/mail"
	"net/smtp"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/communique/communique/app"
)

// A release goes out through a relay that accepts everything; then a
// bounce, a soft bounce, a complaint, an unsubscribe mail and an
// auto-reply come back to the bounce listener, and the report, the
// suppression list and the contacts end as they should.
func TestBouncesAfterTheHandshake(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.BounceAddr = "127.0.0.1:0" })
	if b.app.BounceAddr() == "" {
		t.Fatal("no bounce listener")
	}
	runPublish(t, b)
	msgs := b.smtp.Messages()
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].To[0] < msgs[j].To[0] })
	if len(msgs) < 5 {
		t.Fatalf("%d messages", len(msgs))
	}
	hard, soft, complaint, unsub, auto := msgs[0], msgs[1], msgs[2], msgs[3], msgs[4]
	send := func(to, body string) {
		t.Helper()
		if err := smtp.SendMail(b.app.BounceAddr(), nil, "", []string{to}, []byte(body)); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	send(hard.From, dsn(hard.To[0], "5.1.1", "550 5.1.1 user unknown"))
	send(soft.From, dsn(soft.To[0], "5.7.606", "550 5.7.606 Access denied, banned sending IP"))
	send(complaint.From, arf(complaint.MessageID))
	send(mailtoOf(t, unsub.Data), "From: <"+unsub.To[0]+">\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n")
	send(auto.From, "From: <"+auto.To[0]+">\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n")

	var report struct {
		ByStatus map[string]int `json:"by_status"`
	}
	var id int64
	if err := b.app.DB.Get(&id, `SELECT id FROM releases`); err != nil {
		t.Fatal(err)
	}
	if st := b.do("GET", fmt.Sprintf("/api/v1/releases/%d/report", id), "", nil, &report); st != 200 {
		t.Fatalf("report: %d", st)
	}
	if report.ByStatus["bounced"] != 1 || report.ByStatus["complained"] != 1 || report.ByStatus["sent"] != len(msgs)-2 {
		t.Fatalf("report by status %v, want 1 bounced, 1 complained, %d sent", report.ByStatus, len(msgs)-2)
	}
	want := map[string]string{
		hard.To[0]:      "bounced bounced",
		soft.To[0]:      "active -",
		complaint.To[0]: "unsubscribed complained",
		unsub.To[0]:     "unsubscribed unsubscribed",
		auto.To[0]:      "active -",
	}
	for email, w := range want {
		var got string
		if err := b.app.DB.Get(&got, `SELECT c.status || ' ' || coalesce(s.reason, '-') FROM contacts c
			LEFT JOIN suppressions s ON s.email = lower(c.email) WHERE lower(c.email) = lower($1)`, email); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("%s: contact and suppression %q, want %q", email, got, w)
		}
	}
	if n := b.count(`SELECT count(*) FROM suppressions`); n != 3 {
		t.Errorf("%d suppressions, want 3", n)
	}
	if n := b.count(`SELECT count(*) FROM inbound`); n != 5 {
		t.Errorf("%d inbound messages recorded, want 5", n)
	}
}

func dsn(rcpt, status, diag string) string {
	return "From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n" +
		"--b--\r\n"
}

func arf(messageID string) string {
	return "From: fbl@example.net\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n" +
		"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + messageID + ">\r\n\r\n" +
		"--b--\r\n"
}

var mailtoRE = regexp.MustCompile(`<mailto:([^>]+)>`)

// mailtoOf is the List-Unsubscribe mailto address of a message.
func mailtoOf(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	sub := mailtoRE.FindStringSubmatch(m.Header.Get("List-Unsubscribe"))
	if sub == nil {
		t.Fatalf("no mailto in List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
	}
	return sub[1]
}

func TestSoftBounceLimitSetting(t *testing.T) {
	for _, v := range []string{"0", "-1", "five", "2.5"} {
		c := app.Config{SoftBounceLimit: v, Dev: true}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "COMMUNIQUE_SOFT_BOUNCE_LIMIT") {
			t.Errorf("limit %q: %v, want an error naming the setting", v, err)
		}
	}
	for v, want := range map[string]int{"": 5, "3": 3} {
		c := app.Config{SoftBounceLimit: v}
		if n, err := c.SoftBounces(); err != nil || n != want {
			t.Errorf("limit %q: %d, %v; want %d", v, n, err, want)
		}
	}
}

// A provider's webhook is served once configured, and refuses requests
// without its credentials; the others answer 404.
func TestWebhooksMounted(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.PostmarkUser, c.PostmarkPassword = "postmark", "a long postmark password" })
	post := func(provider, user, pass, body string) int {
		req, _ := http.NewRequest("POST", b.app.URL()+"/webhooks/"+provider, strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","Email":"gone@example.net","Details":"550 5.1.1 user unknown"}`
	if st := post("postmark", "postmark", "a long postmark password", body); st != http.StatusNoContent {
		t.Fatalf("postmark: %d", st)
	}
	if n := b.count(`SELECT count(*) FROM suppressions WHERE email = 'gone@example.net' AND reason = 'bounced'`); n != 1 {
		t.Fatalf("the bounced address is not suppressed")
	}
	if st := post("postmark", "postmark", "wrong", body); st != http.StatusForbidden {
		t.Errorf("wrong password: %d", st)
	}
	if st := post("mailgun", "", "", "{}"); st != http.StatusNotFound {
		t.Errorf("unconfigured provider: %d", st)
	}
}

func TestWebhookSettingsChecked(t *testing.T) {
	for name, c := range map[string]app.Config{
		"COMMUNIQUE_SENDGRID_PUBLIC_KEY": {SendGridPublicKey: "not base64!", Dev: true},
		"COMMUNIQUE_POSTMARK_PASSWORD":   {PostmarkUser: "postmark", Dev: true},
	} {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming it", name, err)
		}
	}
}
