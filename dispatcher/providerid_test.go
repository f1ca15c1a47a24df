package dispatcher_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/communique/communique/mailer/smtptest"
	"github.com/communique/communique/tracking"
)

// Each delivery keeps the id its relay answered the final dot with, in
// the styles of SES, SendGrid, Postmark and Mailgun (which gives none),
// and a Postmark webhook naming only that id reaches the right delivery.
func TestDeliveriesKeepTheRelaysID(t *testing.T) {
	styles := []struct{ reply, id string }{
		{"250 Ok 0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-%012d-000000", "0102018f3c2a7b1e-5d6f7a8b-1c2d-4e5f-9a0b-%012d-000000"},
		{"250 Ok: queued as Z5qF8xAfQj-%06d", "Z5qF8xAfQj-%06d"},
		{"250 2.0.0 Ok: 8c3b2a0e-7f1d-4c5e-9b6a-%012d", "8c3b2a0e-7f1d-4c5e-9b6a-%012d"},
		{"250 Great success", ""},
	}
	want := func(n int) string {
		if s := styles[(n-1)%len(styles)]; s.id != "" {
			return fmt.Sprintf(s.id, n)
		}
		return ""
	}
	srv := smtptest.Start(t, smtptest.Options{DotReply: func(n int) string {
		return fmt.Sprintf(styles[(n-1)%len(styles)].reply, n)
	}})
	b := setup(t, 8, nil, sendTo(srv, "2", 10*time.Second))
	b.publish(t)
	waitFor(t, "every delivery sent", func() bool { return b.statuses(t)["sent"] == 8 })

	var postmarkID string
	var postmarkDelivery int64
	for n, m := range srv.Messages() {
		var got struct {
			ID         int64  `db:"id"`
			ProviderID string `db:"provider_id"`
		}
		if err := b.db.Get(&got, `
			SELECT d.id, coalesce(p.provider_id, '') AS provider_id
			FROM deliveries d LEFT JOIN delivery_provider_ids p ON p.delivery_id = d.id WHERE d.email = $1`, m.To[0]); err != nil {
			t.Fatal(err)
		}
		if got.ProviderID != want(n+1) {
			t.Errorf("message %d to %s: provider id %q, want %q", n+1, m.To[0], got.ProviderID, want(n+1))
		}
		if (n+1)%len(styles) == 3 {
			postmarkID, postmarkDelivery = got.ProviderID, got.ID
		}
	}

	hooks, err := tracking.NewWebhooks(tracking.WebhookConfig{Recorder: &tracking.Recorder{DB: b.db},
		PostmarkUser: "postmark", PostmarkPassword: "a long postmark password"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", hooks)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	body := fmt.Sprintf(`{"RecordType":"Bounce","ID":7,"Type":"HardBounce","MessageID":%q,"Email":"someone@example.net","Details":"smtp;550 5.1.1 no such user"}`, postmarkID)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", hs.URL+"/webhooks/postmark", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("postmark:a long postmark password")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	var matched int64
	if err := b.db.Get(&matched, `SELECT coalesce(delivery_id, 0) FROM inbound WHERE source = 'postmark'`); err != nil {
		t.Fatal(err)
	}
	if matched != postmarkDelivery || postmarkDelivery == 0 {
		t.Fatalf("the webhook matched delivery %d, want %d", matched, postmarkDelivery)
	}
}
