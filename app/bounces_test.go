package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"net/smtp"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/app"
)

// A release goes out to 20 journalists through a relay that accepts
// everything; then bounces, a complaint, an unsubscribe mail, an
// auto-reply, a delay warning and a forgery come back to the bounce
// listener, and the report, the suppression list and the contacts end
// exactly as they should.
func TestBouncesAfterTheHandshake(t *testing.T) {
	t.Parallel()
	b := setup(t, "", func(c *app.Config) { c.BounceAddr = "127.0.0.1:0" })
	if b.app.BounceAddr() == "" {
		t.Fatal("no bounce listener")
	}
	seedTopics(t, b)
	csv := "email,name,kind,languages,topics\r\npress@example.org,Nora Belkacem,press_officer,fr,\r\ndesk@example.org,Daniel Ortega,press_officer,en,\r\n"
	for i := range 20 {
		csv += fmt.Sprintf("reader%02d@example.com,Reader %d,journalist,en,migration-governance\r\n", i, i)
	}
	var imp struct{ Created int }
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(csv), &imp); st != 200 || imp.Created != 22 {
		t.Fatalf("import: status %d, created %d", st, imp.Created)
	}
	var created struct{ ID int64 }
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(releaseJSON), &created); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/publish", created.ID), "", nil, nil); st != 202 {
		t.Fatalf("publish: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.smtp.Wait(ctx, 20); err != nil {
		t.Fatalf("waiting for 20 messages: %v", err)
	}
	// The server has the messages a moment before the dispatcher records
	// them sent; a busy machine stretches that moment, and the report
	// below must count what the bounces changed, not what is unrecorded.
	for sent := 0; sent != 20; time.Sleep(20 * time.Millisecond) {
		if ctx.Err() != nil {
			t.Fatalf("%d of 20 deliveries recorded sent within 30s", sent)
		}
		sent = b.count(`SELECT count(*) FROM deliveries WHERE status = 'sent'`)
	}
	msgs := b.smtp.Messages()
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].To[0] < msgs[j].To[0] })
	send := func(to, body string) {
		t.Helper()
		if err := smtp.SendMail(b.app.BounceAddr(), nil, "", []string{to}, []byte(body)); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	send(msgs[0].From, dsn(msgs[0].To[0], "failed", "5.1.1", "550 5.1.1 user unknown"))
	send(msgs[1].From, "From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\n"+
		"Hi. This is the qmail-send program at mx.example.net.\r\n\r\n<"+msgs[1].To[0]+">:\r\n"+
		"Remote host said: 550 5.1.1 Sorry, no mailbox here by that name.\r\n")
	send(msgs[2].From, dsn(msgs[2].To[0], "failed", "5.7.606", "550 5.7.606 Access denied, banned sending IP"))
	send(msgs[3].From, dsn(msgs[3].To[0], "failed", "5.2.2", "552 5.2.2 mailbox full"))
	send(msgs[4].From, arf(msgs[4].MessageID))
	send(mailtoOf(t, msgs[5].Data), "From: <"+msgs[5].To[0]+">\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n")
	send(msgs[6].From, "From: <"+msgs[6].To[0]+">\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n")
	send(msgs[7].From, dsn(msgs[7].To[0], "delayed", "4.4.1", "421 4.4.1 timed out"))
	// A bounce for a delivery, with the token of another, is refused.
	forged := regexp.MustCompile(`^bounce\+(\d+)-`).ReplaceAllString(msgs[0].From, "bounce+${1}9-")
	if err := smtp.SendMail(b.app.BounceAddr(), nil, "", []string{forged}, []byte(dsn(msgs[8].To[0], "failed", "5.1.1", "550 5.1.1 user unknown"))); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("forged return path %s: %v, want 550", forged, err)
	}

	var report struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"by_status"`
	}
	if st := b.do("GET", fmt.Sprintf("/api/v1/releases/%d/report", created.ID), "", nil, &report); st != 200 {
		t.Fatalf("report: %d", st)
	}
	if report.Total != 20 || report.ByStatus["bounced"] != 2 || report.ByStatus["complained"] != 1 || report.ByStatus["sent"] != 17 {
		t.Fatalf("report %+v, want 20: 2 bounced, 1 complained, 17 sent", report)
	}
	var rows []struct {
		Email string `db:"email"`
		State string `db:"state"`
	}
	if err := b.app.DB.Select(&rows, `SELECT lower(c.email) AS email, c.status || ' ' || coalesce(s.reason, '-') AS state
		FROM contacts c LEFT JOIN suppressions s ON s.email = lower(c.email) WHERE c.kind = 'journalist' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{0: "bounced bounced", 1: "bounced bounced", 4: "unsubscribed complained", 5: "unsubscribed unsubscribed"}
	for i, r := range rows {
		w, ok := want[i]
		if !ok {
			w = "active -"
		}
		if r.Email != msgs[i].To[0] || r.State != w {
			t.Errorf("%s: %q, want %s %q", r.Email, r.State, msgs[i].To[0], w)
		}
	}
	if n := b.count(`SELECT count(*) FROM suppressions`); n != 4 {
		t.Errorf("%d suppressions, want 4", n)
	}
	var kinds string
	if err := b.app.DB.Get(&kinds, `SELECT string_agg(kind, ' ' ORDER BY id) FROM inbound`); err != nil {
		t.Fatal(err)
	}
	if kinds != "hard hard soft soft complaint unsubscribe auto_reply delayed" {
		t.Errorf("inbound kinds %q", kinds)
	}
}

func dsn(rcpt, action, status, diag string) string {
	return "From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n" +
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
