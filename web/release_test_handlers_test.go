package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/lib/pq"

	"github.com/communique/communique/mailbox"
)

// A test send queues every language and variant of a release for each
// address given, in the transaction of its audit entry; a running
// dispatcher delivers them through the SMTP relay, marked as a test. It
// records no dispatch or delivery and touches no contact.
func TestTestSendDeliversEveryLanguageAndVariant(t *testing.T) {
	b := setup(t)
	refused := "refused@example.net"
	smtpServer, pool := b.withMail(mailbox.Options{Reject: func(from, to string) *smtp.SMTPError {
		if to == refused {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}})
	b.importReleaseContacts()
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	id := b.createRelease(releaseJSONIn("tested", `{"fr": {"title": "Accord", "body": "Le bureau ouvre."},
		"en": {"title": "Agreement", "body": "The office opens."}, "es": {"title": "Acuerdo", "body": "La oficina abre."}}`,
		fmt.Sprintf(`, "embargo_until": %q`, until)))
	path := fmt.Sprintf("/api/v1/releases/%d/test", id)
	contactsBefore := b.count(`SELECT count(*) FROM contacts WHERE updated_at = created_at`)

	var sent struct {
		Queued     int      `json:"queued"`
		Languages  []string `json:"languages"`
		Variants   []string `json:"variants"`
		MessageIDs []int64  `json:"message_ids"`
	}
	// Queued with no dispatcher running: the answer does not wait for the relay.
	if st := b.api("POST", path, `{"emails": ["desk@example.org", "Editor@Example.com"]}`, &sent); st != 202 || sent.Queued != 12 || len(sent.MessageIDs) != 12 {
		t.Fatalf("test send: %d %+v", st, sent)
	}
	if n := b.count(`SELECT count(*) FROM messages WHERE kind = 'test' AND release_id = $1 AND status = 'queued' AND id = ANY($2)`,
		id, pq.Array(sent.MessageIDs)); n != 12 {
		t.Fatalf("%d test messages queued, want 12", n)
	}
	b.withDispatcher(pool)
	msgs := waitMail(t, smtpServer, 12)
	got := map[string]bool{}
	for _, m := range msgs {
		d := decodeMessage(t, m)
		if !strings.HasPrefix(d.subject, "[TEST] ") {
			t.Errorf("subject %q is not marked as a test", d.subject)
		}
		variant := "public"
		if strings.Contains(d.subject, "EMBARGO") {
			variant = "embargoed"
		}
		got[fmt.Sprintf("%s %s %s", d.to, d.lang, variant)] = true
	}
	for _, to := range []string{"desk@example.org", "Editor@Example.com"} {
		for _, lang := range []string{"fr", "en", "es"} {
			for _, v := range []string{"public", "embargoed"} {
				if !got[fmt.Sprintf("%s %s %s", to, lang, v)] {
					t.Errorf("%s did not get the %s message in %s; got %v", to, v, lang, got)
				}
			}
		}
	}
	if n := b.count(`SELECT count(*) FROM dispatches`) + b.count(`SELECT count(*) FROM deliveries`) + b.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Fatalf("a test send left %d dispatch, delivery or event rows", n)
	}
	if n := b.count(`SELECT count(*) FROM contacts WHERE updated_at = created_at`); n != contactsBefore ||
		b.count(`SELECT count(*) FROM contacts WHERE lower(email) IN ('desk@example.org', 'editor@example.com')`) != 0 {
		t.Fatal("a test send touched the contacts")
	}
	if n := b.count(`SELECT count(*) FROM audit_log WHERE action = 'test' AND release_id = $1`, id); n != 1 {
		t.Fatalf("%d audit entries for the test send", n)
	}

	// A published release has no embargoed variant left to test.
	other := b.createRelease(releaseJSON("public", ""))
	b.api("POST", fmt.Sprintf("/api/v1/releases/%d/publish", other), "", nil)
	if st := b.api("POST", fmt.Sprintf("/api/v1/releases/%d/test", other), `{"emails": ["desk@example.org"]}`, &sent); st != 202 ||
		sent.Queued != 2 || strings.Join(sent.Variants, ",") != "public" {
		t.Fatalf("test of a published release: %d %+v", st, sent)
	}

	var e errorAnswer
	eleven := `"a@example.org"` + strings.Repeat(`, "a@example.org"`, 10)
	for body, want := range map[string]string{
		`{"emails": []}`:                                   "emails: at least one address is required",
		`{"emails": [` + eleven + `]}`:                     "emails: at most 10 addresses, not 11",
		`{"emails": ["ok@example.org", "not an address"]}`: `emails[1]: email "not an address" is not a valid address`,
		`{"emails": ["a@example.org", "A@example.org"]}`:   `emails[1]: "A@example.org" is listed twice`,
		`{"to": ["a@example.org"]}`:                        `unknown field "to"`,
	} {
		e = errorAnswer{}
		if st := b.api("POST", path, body, &e); st != 422 || !strings.Contains(strings.Join(e.Details, "\n"), want) {
			t.Errorf("%s: %d %+v, want %q", body[:min(len(body), 60)], st, e, want)
		}
	}
	// A refused address no longer fails the request: its messages bounce
	// in the queue, each with the relay's reply, and the address is
	// suppressed as a delivery's would be.
	b.settle()
	// The published release's own four deliveries go out meanwhile: let
	// them arrive before counting.
	deadline := time.Now().Add(20 * time.Second)
	for b.count(`SELECT count(*) FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
		WHERE s.release_id = $1 AND d.status = 'sent'`, other) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("the published release's deliveries did not go out within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := smtpServer.Count()
	if st := b.api("POST", path, `{"emails": ["desk@example.org", "`+refused+`"]}`, &sent); st != 202 || sent.Queued != 12 {
		t.Fatalf("a refused address: %d %+v", st, sent)
	}
	b.settle()
	if n := smtpServer.Count() - before; n != 6 {
		t.Fatalf("%d messages arrived, want the first address's 6", n)
	}
	var page struct {
		Messages []struct {
			To        string `json:"to"`
			Kind      string `json:"kind"`
			Status    string `json:"status"`
			SMTPCode  int    `json:"smtp_code"`
			SMTPReply string `json:"smtp_reply"`
			ReleaseID int64  `json:"release_id"`
		} `json:"messages"`
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/messages?release_id=%d&status=bounced", id), "", &page); st != 200 || len(page.Messages) != 6 {
		t.Fatalf("bounced messages: %d %+v", st, page)
	}
	for _, m := range page.Messages {
		if m.To != refused || m.Kind != "test" || m.SMTPCode != 550 || !strings.Contains(m.SMTPReply, "no such user") || m.ReleaseID != id {
			t.Errorf("bounced message %+v", m)
		}
	}
	if n := b.count(`SELECT count(*) FROM suppressions WHERE email = $1 AND reason = 'bounced'`, refused); n != 1 {
		t.Errorf("the bounced address is not suppressed")
	}
	var report struct {
		Total    int                       `json:"total"`
		Messages map[string]map[string]int `json:"messages"`
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/releases/%d/report", id), "", &report); st != 200 || report.Total != 0 ||
		report.Messages["test"]["sent"] != 18 || report.Messages["test"]["bounced"] != 6 || len(report.Messages) != 1 {
		t.Fatalf("report: %d %+v", st, report)
	}
	if st := b.api("POST", "/api/v1/releases/999999/test", `{"emails": ["desk@example.org"]}`, nil); st != 404 {
		t.Fatalf("test of no release: %d", st)
	}
}
