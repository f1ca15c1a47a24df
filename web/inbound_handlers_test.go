package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/tracking"
)

// inboundDSN is a delivery status notification for one recipient.
func inboundDSN(rcpt, action, status, diag string) []byte {
	return []byte("From: MAILER-DAEMON@mx.example.net\r\nSubject: Delivery Status Notification\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nReport.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n" +
		"--b--\r\n")
}

func TestInboundAndDeliveryTimeline(t *testing.T) {
	b := setup(t)
	var rel, disp, contact, del int64
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.db.Get(&rel, `INSERT INTO releases (slug, original_language, status) VALUES ('r', 'en', 'published') RETURNING id`))
	must(b.db.Get(&disp, `INSERT INTO dispatches (release_id, variant) VALUES ($1, 'public') RETURNING id`, rel))
	must(b.db.Get(&contact, `INSERT INTO contacts (email, kind) VALUES ('gone@example.net', 'journalist') RETURNING id`))
	must(b.db.Get(&del, `INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, attempts, smtp_code, smtp_reply, sent_at)
		VALUES ($1, $2, 'gone@example.net', 'en', 'sent', 1, 250, '250 2.0.0 Ok', now()) RETURNING id`, disp, contact))
	_, err := b.db.Exec(`INSERT INTO delivery_retries (delivery_id, attempt, at, status, smtp_code, smtp_reply)
		VALUES ($1, 1, now() - interval '1 minute', 'sent', 250, '250 2.0.0 Ok')`, del)
	must(err)

	rc := &tracking.Recorder{DB: b.db}
	target := tracking.Target{Kind: tracking.TargetDelivery, ID: del}
	for _, raw := range [][]byte{
		inboundDSN("gone@example.net", "delayed", "4.4.1", "421 4.4.1 timed out"),
		inboundDSN("gone@example.net", "failed", "5.1.1", "550 5.1.1 user unknown"),
	} {
		_, err := rc.Record(b.ctx, tracking.Inbound{EnvelopeTo: "bounce+x@example.org", Target: target, Raw: raw})
		must(err)
	}

	var page struct {
		Inbound []map[string]any `json:"inbound"`
		Next    string           `json:"next"`
	}
	if st := b.api("GET", "/api/v1/inbound", "", &page); st != 200 || len(page.Inbound) != 2 || page.Next != "" {
		t.Fatalf("list: %d %+v", st, page)
	}
	first := page.Inbound[0]
	for _, k := range []string{"id", "received_at", "kind", "reason", "status", "delivery_id", "recipient", "feedback_type"} {
		if _, ok := first[k]; !ok {
			t.Errorf("inbound item has no %q: %v", k, first)
		}
	}
	if first["kind"] != "hard" || first["reason"] != "mailbox_unknown" || first["status"] != "5.1.1" ||
		first["delivery_id"] != float64(del) || first["recipient"] != "gone@example.net" {
		t.Errorf("newest inbound item %v", first)
	}
	if st := b.api("GET", "/api/v1/inbound?kind=delayed", "", &page); st != 200 || len(page.Inbound) != 1 || page.Inbound[0]["kind"] != "delayed" {
		t.Fatalf("kind=delayed: %d %+v", st, page)
	}
	if st := b.api("GET", "/api/v1/inbound?limit=1", "", &page); st != 200 || len(page.Inbound) != 1 || page.Next == "" {
		t.Fatalf("limit=1: %d %+v", st, page)
	}
	if st := b.api("GET", "/api/v1/inbound?limit=1&after="+page.Next, "", &page); st != 200 || len(page.Inbound) != 1 || page.Inbound[0]["kind"] != "delayed" {
		t.Fatalf("second page: %d %+v", st, page)
	}
	var e struct {
		Error   string   `json:"error"`
		Details []string `json:"details"`
	}
	for query, field := range map[string]string{"kind=bounced": "kind", "after=x": "after", "limit=-1": "limit", "color=red": "color"} {
		if st := b.api("GET", "/api/v1/inbound?"+query, "", &e); st != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(e.Details, " "), field) {
			t.Errorf("?%s: %d %+v, want 422 naming %s", query, st, e, field)
		}
	}

	var d struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		Email    string `json:"email"`
		Timeline []struct {
			At      time.Time `json:"at"`
			Type    string    `json:"type"`
			Attempt *struct {
				Status string `json:"status"`
			} `json:"attempt"`
			Inbound *struct {
				Kind string `json:"kind"`
			} `json:"inbound"`
		} `json:"timeline"`
	}
	if st := b.api("GET", fmt.Sprintf("/api/v1/deliveries/%d", del), "", &d); st != 200 {
		t.Fatalf("delivery: %d", st)
	}
	var steps []string
	for _, ev := range d.Timeline {
		switch {
		case ev.Attempt != nil:
			steps = append(steps, ev.Type+":"+ev.Attempt.Status)
		case ev.Inbound != nil:
			steps = append(steps, ev.Type+":"+ev.Inbound.Kind)
		}
	}
	if d.Status != "bounced" || d.Email != "gone@example.net" || strings.Join(steps, " ") != "attempt:sent inbound:delayed inbound:hard" {
		t.Fatalf("delivery %d: status %q, timeline %v", d.ID, d.Status, steps)
	}
	if st := b.api("GET", "/api/v1/deliveries/999999", "", &e); st != http.StatusNotFound {
		t.Errorf("missing delivery: %d", st)
	}
	if st := b.api("GET", "/api/v1/deliveries/abc", "", &e); st != http.StatusUnprocessableEntity || !strings.Contains(e.Error, "id") {
		t.Errorf("bad id: %d %+v", st, e)
	}
}
