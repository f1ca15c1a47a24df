package tracking

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// Events that carry neither our return path nor our Message-ID find their
// delivery by the id the relay answered the final dot with, as the
// dispatcher recorded it: SES's mail.messageId, SendGrid's sg_message_id
// (that id, a dot, and more) and Postmark's MessageID. A reused id
// (Postfix's short queue ids) is the newest delivery's.
func TestWebhooksMatchTheProviderID(t *testing.T) {
	h := setupHooks(t)
	dSES, _ := h.delivery("ses@example.com")
	dSG, _ := h.delivery("sendgrid@example.com")
	dPM, _ := h.delivery("postmark@example.com")
	dOld, _ := h.delivery("old@example.com")
	dNew, _ := h.delivery("new@example.com")
	for d, id := range map[int64]string{
		dSES: "0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-1c2d3e4f5a6b-000000",
		dSG:  "Z5qF8xAfQj-0vD6W1c4EGQ",
		dPM:  "8c3b2a0e-7f1d-4c5e-9b6a-2d4f6e8a0c1b",
		dOld: "3F2A41C0B7", dNew: "3F2A41C0B7",
	} {
		if _, err := h.db.Exec(`INSERT INTO delivery_provider_ids (delivery_id, provider_id) VALUES ($1, $2)`, d, id); err != nil {
			t.Fatal(err)
		}
	}

	ses, _ := json.Marshal(map[string]any{"notificationType": "Bounce",
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General",
			"bouncedRecipients": []map[string]string{{"emailAddress": "ses@example.com", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}}},
		"mail": map[string]any{"messageId": "0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-1c2d3e4f5a6b-000000",
			"commonHeaders": map[string]string{"messageId": "<something-the-relay-wrote@example.net>"}}})
	if st := h.post("ses", h.sns("Notification", "sns-p1", string(ses), 2), nil); st != http.StatusNoContent {
		t.Fatalf("ses: %d", st)
	}
	sg, _ := json.Marshal([]map[string]string{{"email": "sendgrid@example.com", "event": "spamreport", "sg_event_id": "sg-p1",
		"sg_message_id": "Z5qF8xAfQj-0vD6W1c4EGQ.filterdrecv-p3las1-5bf6fcdd65-8mvtb-18-5E3B5A2C-1A.0"}})
	if st := h.post("sendgrid", sg, h.sendGridHeaders(sg, h.now)); st != http.StatusNoContent {
		t.Fatalf("sendgrid: %d", st)
	}
	auth := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("postmark:a long postmark password"))}}
	for i, pm := range []string{
		`{"RecordType":"Bounce","ID":1,"Type":"HardBounce","MessageID":"8c3b2a0e-7f1d-4c5e-9b6a-2d4f6e8a0c1b","Email":"postmark@example.com","Details":"smtp;550 5.1.1 no such user"}`,
		`{"RecordType":"Bounce","ID":2,"Type":"HardBounce","MessageID":"3F2A41C0B7","Email":"new@example.com","Details":"smtp;550 5.1.1 no such user"}`,
		// An id nobody was given matches nothing; the address is still acted on.
		`{"RecordType":"Bounce","ID":3,"Type":"HardBounce","MessageID":"ffffffff-0000-0000-0000-000000000000","Email":"stranger@example.com","Details":"smtp;550 5.1.1 no such user"}`,
	} {
		if st := h.post("postmark", []byte(pm), auth); st != http.StatusNoContent {
			t.Fatalf("postmark %d: %d", i, st)
		}
	}
	for source, want := range map[string]string{
		"ses":      fmt.Sprintf("hard/mailbox_unknown/%d/bounced", dSES),
		"sendgrid": fmt.Sprintf("complaint/complaint/%d/complained", dSG),
		"postmark": fmt.Sprintf("hard/mailbox_unknown/%d/bounced hard/mailbox_unknown/%d/bounced hard/mailbox_unknown/0/bounced", dPM, dNew),
	} {
		if got := h.inbound(source); got != want {
			t.Errorf("%s:\n got %s\nwant %s", source, got, want)
		}
	}
	if got := h.str(`SELECT status FROM deliveries WHERE id = $1`, dOld); got != "sent" {
		t.Errorf("the older delivery with a reused id became %s", got)
	}
}
