package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/communique/communique/mailbox"
)

// A test send delivers every language and variant of a release to each
// address given, through the SMTP relay, marked as a test, and records
// no dispatch or delivery and touches no contact.
func TestTestSendDeliversEveryLanguageAndVariant(t *testing.T) {
	b := setup(t)
	refused := "refused@example.net"
	smtpServer, _ := b.withMail(mailbox.Options{Reject: func(from, to string) *smtp.SMTPError {
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
		Sent      int      `json:"sent"`
		Languages []string `json:"languages"`
		Variants  []string `json:"variants"`
	}
	if st := b.api("POST", path, `{"emails": ["desk@example.org", "Editor@Example.com"]}`, &sent); st != 202 || sent.Sent != 12 {
		t.Fatalf("test send: %d %+v", st, sent)
	}
	msgs := smtpServer.Messages()
	if len(msgs) != 12 {
		t.Fatalf("%d messages arrived, want 12", len(msgs))
	}
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
		sent.Sent != 2 || strings.Join(sent.Variants, ",") != "public" {
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
	before := smtpServer.Count()
	if st := b.api("POST", path, `{"emails": ["desk@example.org", "`+refused+`"]}`, &e); st != 502 ||
		!strings.Contains(e.Error, refused) || !strings.Contains(strings.Join(e.Details, ""), "emails[1]") ||
		!strings.Contains(strings.Join(e.Details, ""), "550") {
		t.Fatalf("a refused address: %d %+v", st, e)
	}
	if n := smtpServer.Count() - before; n != 6 {
		t.Fatalf("%d messages before the refusal, want the first address's 6", n)
	}
	if st := b.api("POST", "/api/v1/releases/999999/test", `{"emails": ["desk@example.org"]}`, nil); st != 404 {
		t.Fatalf("test of no release: %d", st)
	}
}
