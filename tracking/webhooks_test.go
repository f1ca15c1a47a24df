package tracking

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

const (
	testTopic   = "arn:aws:sns:eu-west-1:123456789012:communique-ses"
	testCertURL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
	mailgunKey  = "key-for-the-mailgun-tests"
)

// hooks is a webhook server over a fixture, with the keys the test signs
// with.
type hooks struct {
	*fixture
	srv       *httptest.Server
	rsaKey    *rsa.PrivateKey
	ecKey     *ecdsa.PrivateKey
	fetched   []string
	confirmed []string
	now       time.Time
}

func setupHooks(t *testing.T) *hooks {
	t.Helper()
	h := &hooks{fixture: setup(t), now: time.Now()}
	var err error
	if h.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &h.rsaKey.PublicKey, h.rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if h.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&h.ecKey.PublicKey)
	w, err := NewWebhooks(WebhookConfig{
		Recorder: &Recorder{DB: h.db}, Matcher: Matcher{Domain: testDomain, Signer: h.signer},
		SESTopicARNs: []string{testTopic}, MailgunSigningKey: mailgunKey,
		SendGridPublicKey: base64.StdEncoding.EncodeToString(pub),
		PostmarkUser:      "postmark", PostmarkPassword: "a long postmark password",
		FetchCert: func(_ context.Context, u string) ([]byte, error) {
			h.fetched = append(h.fetched, u)
			if u != testCertURL {
				return nil, fmt.Errorf("no certificate at %s", u)
			}
			return certPEM, nil
		},
		Confirm: func(_ context.Context, u string) error { h.confirmed = append(h.confirmed, u); return nil },
		Now:     func() time.Time { return h.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}", w)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hooks) post(provider string, body []byte, header http.Header) int {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+"/webhooks/"+provider, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *hooks) inbound(source string) string {
	h.t.Helper()
	return h.str(`SELECT coalesce(string_agg(kind || '/' || reason || '/' || coalesce(delivery_id, 0) || '/' || effect, ' ' ORDER BY id), '')
		FROM inbound WHERE source = $1`, source)
}

// sns signs an SNS message of typ with signature version v.
func (h *hooks) sns(typ, id, message string, v int) []byte {
	m := map[string]string{"Type": typ, "MessageId": id, "TopicArn": testTopic, "Message": message,
		"Timestamp": "2026-11-30T09:00:00.000Z", "SignatureVersion": strconv.Itoa(v), "SigningCertURL": testCertURL}
	if typ != "Notification" {
		m["Token"] = "tok"
		m["SubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=tok"
	}
	sm := snsMessage{Type: typ, MessageId: id, TopicArn: testTopic, Message: message, Timestamp: m["Timestamp"],
		Token: m["Token"], SubscribeURL: m["SubscribeURL"]}
	var sig []byte
	var err error
	if v == 1 {
		d := sha1.Sum([]byte(sm.stringToSign()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, h.rsaKey, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(sm.stringToSign()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, h.rsaKey, crypto.SHA256, d[:])
	}
	if err != nil {
		h.t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	b, _ := json.Marshal(m)
	return b
}

func sesBounce(source, messageID, bounceType, email, status, diag string) string {
	b, _ := json.Marshal(map[string]any{
		"notificationType": "Bounce",
		"bounce": map[string]any{"bounceType": bounceType, "bounceSubType": "General",
			"bouncedRecipients": []map[string]string{{"emailAddress": email, "status": status, "diagnosticCode": diag}}},
		"mail": map[string]any{"source": source, "commonHeaders": map[string]string{"messageId": "<" + messageID + ">"}},
	})
	return string(b)
}

func TestSESWebhook(t *testing.T) {
	h := setupHooks(t)
	d1, _ := h.delivery("one@example.com")
	d2, _ := h.delivery("two@example.com")
	d3, c3 := h.delivery("three@example.com")
	mid := func(d int64) string { return fmt.Sprintf("delivery-%d.release-%d@example.org", d, h.release) }

	// Matched by the signed return path, signature version 1.
	hard := h.sns("Notification", "sns-1", sesBounce(h.bounceAddr(d1), "", "Permanent", "one@example.com", "5.1.1", "smtp; 550 5.1.1 user unknown"), 1)
	if st := h.post("ses", hard, nil); st != http.StatusNoContent {
		t.Fatalf("bounce: %d", st)
	}
	// A retry keeps its MessageId and changes nothing.
	if st := h.post("ses", hard, nil); st != http.StatusNoContent {
		t.Fatalf("retry: %d", st)
	}
	// A Transient bounce carrying 5.4.4 is hard; matched by Message-ID, version 2.
	transient := h.sns("Notification", "sns-2", sesBounce("", mid(d2), "Transient", "two@example.com", "5.4.4", "smtp; 550 5.4.4 unable to route"), 2)
	if st := h.post("ses", transient, nil); st != http.StatusNoContent {
		t.Fatalf("transient: %d", st)
	}
	complaint, _ := json.Marshal(map[string]any{"notificationType": "Complaint",
		"complaint": map[string]any{"complainedRecipients": []map[string]string{{"emailAddress": "three@example.com"}}, "complaintFeedbackType": "abuse"},
		"mail":      map[string]any{"commonHeaders": map[string]string{"messageId": mid(d3)}}})
	if st := h.post("ses", h.sns("Notification", "sns-3", string(complaint), 2), nil); st != http.StatusNoContent {
		t.Fatalf("complaint: %d", st)
	}
	want := fmt.Sprintf("hard/mailbox_unknown/%d/bounced hard/domain_unknown/%d/bounced complaint/complaint/%d/complained", d1, d2, d3)
	if got := h.inbound("ses"); got != want {
		t.Fatalf("inbound\n got %s\nwant %s", got, want)
	}
	if got := h.state(d3, c3); got != "complained unsubscribed complained" {
		t.Fatalf("complaint state %q", got)
	}

	// Subscription confirmation visits the SNS link.
	if st := h.post("ses", h.sns("SubscriptionConfirmation", "sns-4", "confirm", 2), nil); st != http.StatusNoContent || len(h.confirmed) != 1 {
		t.Fatalf("subscription confirmation: %d, confirmed %v", st, h.confirmed)
	}

	// Forgeries: another topic, a changed message, a certificate elsewhere.
	var m map[string]string
	json.Unmarshal(h.sns("Notification", "sns-5", sesBounce("", mid(d3), "Permanent", "x@example.com", "5.1.1", "x"), 2), &m)
	forge := func(k, v string) []byte {
		c := map[string]string{}
		for a, b := range m {
			c[a] = b
		}
		c[k] = v
		b, _ := json.Marshal(c)
		return b
	}
	h.fetched = nil
	for name, body := range map[string][]byte{
		"topic":     forge("TopicArn", "arn:aws:sns:eu-west-1:999999999999:other"),
		"message":   forge("Message", sesBounce("", mid(d3), "Permanent", "y@example.com", "5.1.1", "x")),
		"http":      forge("SigningCertURL", "http://sns.eu-west-1.amazonaws.com/cert.pem"),
		"host":      forge("SigningCertURL", "https://sns.eu-west-1.amazonaws.com.evil.example.net/cert.pem"),
		"version":   forge("SignatureVersion", "3"),
		"signature": forge("Signature", "AAAA"),
	} {
		if st := h.post("ses", body, nil); st != http.StatusForbidden {
			t.Errorf("forged %s: %d, want 403", name, st)
		}
	}
	for _, u := range h.fetched {
		if u != testCertURL {
			t.Errorf("fetched a certificate from %s", u)
		}
	}
	if n := h.str(`SELECT count(*)::text FROM inbound`); n != "3" {
		t.Fatalf("%s inbound rows after forgeries, want 3", n)
	}
}

func (h *hooks) mailgun(token string, ts time.Time, event map[string]any) []byte {
	mac := hmac.New(sha256.New, []byte(mailgunKey))
	tss := strconv.FormatInt(ts.Unix(), 10)
	mac.Write([]byte(tss + token))
	b, _ := json.Marshal(map[string]any{
		"signature":  map[string]string{"timestamp": tss, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": event,
	})
	return b
}

func TestMailgunWebhook(t *testing.T) {
	h := setupHooks(t)
	d1, _ := h.delivery("one@example.com")
	d2, _ := h.delivery("two@example.com")
	failed := map[string]any{"id": "mg-1", "event": "failed", "severity": "permanent", "recipient": "one@example.com",
		"delivery-status": map[string]any{"code": 550, "message": "5.1.1 The email account that you tried to reach does not exist."},
		"envelope":        map[string]string{"sender": h.bounceAddr(d1)}}
	if st := h.post("mailgun", h.mailgun("t1", h.now, failed), nil); st != http.StatusNoContent {
		t.Fatalf("failed: %d", st)
	}
	// A replayed request, and a retry with a new token, record nothing more.
	if st := h.post("mailgun", h.mailgun("t1", h.now, failed), nil); st != http.StatusNoContent {
		t.Fatalf("replay: %d", st)
	}
	if st := h.post("mailgun", h.mailgun("t2", h.now, failed), nil); st != http.StatusNoContent {
		t.Fatalf("retry: %d", st)
	}
	complained := map[string]any{"id": "mg-2", "event": "complained", "recipient": "two@example.com",
		"message": map[string]any{"headers": map[string]string{"message-id": fmt.Sprintf("delivery-%d.release-%d@example.org", d2, h.release)}}}
	if st := h.post("mailgun", h.mailgun("t3", h.now, complained), nil); st != http.StatusNoContent {
		t.Fatalf("complained: %d", st)
	}
	if st := h.post("mailgun", h.mailgun("t4", h.now, map[string]any{"id": "mg-3", "event": "delivered"}), nil); st != http.StatusNoContent {
		t.Fatalf("delivered: %d", st)
	}
	want := fmt.Sprintf("hard/mailbox_unknown/%d/bounced complaint/complaint/%d/complained", d1, d2)
	if got := h.inbound("mailgun"); got != want {
		t.Fatalf("inbound\n got %s\nwant %s", got, want)
	}
	stale := h.mailgun("t5", h.now.Add(-time.Hour), map[string]any{"id": "mg-4", "event": "complained", "recipient": "x@example.com"})
	bad := bytes.Replace(h.mailgun("t6", h.now, map[string]any{"id": "mg-5", "event": "complained", "recipient": "x@example.com"}), []byte(`"t6"`), []byte(`"t7"`), 1)
	for name, body := range map[string][]byte{"stale": stale, "bad signature": bad, "not json": []byte("{")} {
		if st := h.post("mailgun", body, nil); st != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, st)
		}
	}
}

func (h *hooks) sendGridHeaders(body []byte, ts time.Time) http.Header {
	tss := strconv.FormatInt(ts.Unix(), 10)
	d := sha256.Sum256(append([]byte(tss), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, h.ecKey, d[:])
	if err != nil {
		h.t.Fatal(err)
	}
	return http.Header{sendGridSignatureHeader: {base64.StdEncoding.EncodeToString(sig)}, sendGridTimestampHeader: {tss}}
}

func TestSendGridWebhook(t *testing.T) {
	h := setupHooks(t)
	d1, _ := h.delivery("one@example.com")
	d2, c2 := h.delivery("two@example.com")
	d3, _ := h.delivery("three@example.com")
	mid := func(d int64) string { return fmt.Sprintf("<delivery-%d.release-%d@example.org>", d, h.release) }
	body, _ := json.Marshal([]map[string]string{
		{"email": "one@example.com", "event": "bounce", "sg_event_id": "sg-1", "smtp-id": mid(d1), "status": "5.1.1",
			"reason": "550 5.1.1 The email account does not exist", "type": "bounce", "bounce_classification": "Invalid Address"},
		{"email": "two@example.com", "event": "bounce", "sg_event_id": "sg-2", "smtp-id": mid(d2), "status": "5.7.1",
			"reason": "550 5.7.1 rejected", "type": "blocked", "bounce_classification": "Reputation"},
		{"email": "three@example.com", "event": "spamreport", "sg_event_id": "sg-3", "smtp-id": mid(d3)},
		{"email": "three@example.com", "event": "open", "sg_event_id": "sg-4"},
	})
	if st := h.post("sendgrid", body, h.sendGridHeaders(body, h.now)); st != http.StatusNoContent {
		t.Fatalf("events: %d", st)
	}
	if st := h.post("sendgrid", body, h.sendGridHeaders(body, h.now)); st != http.StatusNoContent {
		t.Fatalf("retry: %d", st)
	}
	want := fmt.Sprintf("hard/mailbox_unknown/%d/bounced soft/blocked/%d/recorded complaint/complaint/%d/complained", d1, d2, d3)
	if got := h.inbound("sendgrid"); got != want {
		t.Fatalf("inbound\n got %s\nwant %s", got, want)
	}
	if got := h.state(d2, c2); got != "sent active -" {
		t.Fatalf("a reputation block changed the reader: %q", got)
	}
	tampered := bytes.Replace(body, []byte("two@"), []byte("six@"), 1)
	for name, hd := range map[string]http.Header{
		"tampered": h.sendGridHeaders(body, h.now),
		"stale":    h.sendGridHeaders(tampered, h.now.Add(-time.Hour)),
		"unsigned": nil,
	} {
		if st := h.post("sendgrid", tampered, hd); st != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, st)
		}
	}
}

func TestPostmarkWebhook(t *testing.T) {
	h := setupHooks(t)
	_, c1 := h.delivery("one@example.com")
	auth := func(user, pass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
	}
	good := auth("postmark", "a long postmark password")
	hard := []byte(`{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Email":"One@example.com","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist."}`)
	for range 2 {
		if st := h.post("postmark", hard, good); st != http.StatusNoContent {
			t.Fatalf("bounce: %d", st)
		}
	}
	if st := h.post("postmark", []byte(`{"RecordType":"Delivery","MessageID":"x","Recipient":"one@example.com"}`), good); st != http.StatusNoContent {
		t.Fatalf("delivery: %d", st)
	}
	if got := h.inbound("postmark"); got != "hard/mailbox_unknown/0/bounced" {
		t.Fatalf("inbound %q", got)
	}
	if got := h.str(`SELECT status FROM contacts WHERE id = $1`, c1); got != "bounced" {
		t.Fatalf("contact %q", got)
	}
	for name, hd := range map[string]http.Header{"wrong password": auth("postmark", "guess"), "none": nil} {
		if st := h.post("postmark", hard, hd); st != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, st)
		}
	}
	if st := h.post("postmark", []byte("{"), good); st != http.StatusBadRequest {
		t.Errorf("malformed: %d, want 400", st)
	}
	if st := h.post("mandrill", []byte("{}"), good); st != http.StatusNotFound {
		t.Errorf("unknown provider: %d, want 404", st)
	}
}
