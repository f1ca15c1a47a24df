package tracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// mailgunPayload is a Mailgun webhook request.
type mailgunPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData struct {
		ID             string `json:"id"`
		Event          string `json:"event"`
		Severity       string `json:"severity"`
		Reason         string `json:"reason"`
		Recipient      string `json:"recipient"`
		DeliveryStatus struct {
			Code        int    `json:"code"`
			Message     string `json:"message"`
			Description string `json:"description"`
		} `json:"delivery-status"`
		Envelope struct {
			Sender string `json:"sender"`
		} `json:"envelope"`
		Message struct {
			Headers struct {
				MessageID string `json:"message-id"`
			} `json:"headers"`
		} `json:"message"`
	} `json:"event-data"`
}

// mailgun verifies a Mailgun webhook: the hex HMAC-SHA256 of timestamp
// and token under the signing key, a fresh timestamp, and a token not
// seen before. A replayed token is answered as a duplicate: nothing is
// recorded twice.
func (w *Webhooks) mailgun(r *http.Request, body []byte) ([]Event, error) {
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", errForged, err)
	}
	s := p.Signature
	mac := hmac.New(sha256.New, []byte(w.cfg.MailgunSigningKey))
	mac.Write([]byte(s.Timestamp + s.Token))
	got, err := hex.DecodeString(s.Signature)
	if err != nil || s.Token == "" || !hmac.Equal(got, mac.Sum(nil)) {
		return nil, fmt.Errorf("%w: Mailgun signature", errForged)
	}
	if err := w.fresh(s.Timestamp); err != nil {
		return nil, err
	}
	if !w.seen.first("mailgun:"+s.Token, w.cfg.Now()) {
		return nil, nil
	}
	e := p.EventData
	r0 := Result{Recipient: e.Recipient, MessageID: strings.Trim(e.Message.Headers.MessageID, "<>")}
	switch e.Event {
	case "failed":
		diag := strings.TrimSpace(strings.TrimSpace(strconv.Itoa(e.DeliveryStatus.Code)+" "+e.DeliveryStatus.Message) + " " + e.DeliveryStatus.Description)
		r0.Status, r0.Diagnostic = findStatus(diag), diag
		if e.Severity == "temporary" {
			r0.Kind, r0.Reason = Delayed, ReasonDelayed // Mailgun tries again
		} else {
			r0.Kind, r0.Reason = decide(r0.Status, diag)
		}
	case "complained":
		r0.Kind, r0.Reason, r0.FeedbackType = Complaint, ReasonComplaint, "abuse"
	case "unsubscribed":
		r0.Kind, r0.Reason = Unsubscribe, ReasonUnsubscribe
	default:
		return nil, nil // delivered, opened, clicked…: nothing to act on
	}
	id := e.ID
	if id == "" {
		id = s.Token
	}
	return []Event{{EventID: id, Result: r0, ReturnPath: e.Envelope.Sender, Raw: body}}, nil
}

// fresh checks a signed Unix timestamp against the clock.
func (w *Webhooks) fresh(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", errForged, ts)
	}
	if d := w.cfg.Now().Sub(time.Unix(sec, 0)); d > freshness || d < -freshness {
		return fmt.Errorf("%w: timestamp %s is %v away", errForged, ts, d.Round(time.Second))
	}
	return nil
}
