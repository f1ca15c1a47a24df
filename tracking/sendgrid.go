package tracking

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The headers SendGrid's signed event webhook sends.
const (
	sendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

type sendGridEvent struct {
	Email          string `json:"email"`
	Event          string `json:"event"`
	EventID        string `json:"sg_event_id"`
	SMTPID         string `json:"smtp-id"`
	SGMessageID    string `json:"sg_message_id"`
	Reason         string `json:"reason"`
	Status         string `json:"status"`
	Type           string `json:"type"`
	Classification string `json:"bounce_classification"`
}

// sendGrid verifies SendGrid's ECDSA P-256 signature over the timestamp
// header followed by the raw body, and a fresh timestamp.
func (w *Webhooks) sendGrid(r *http.Request, body []byte) ([]Event, error) {
	ts := r.Header.Get(sendGridTimestampHeader)
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(sendGridSignatureHeader))
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("%w: no SendGrid signature", errForged)
	}
	h := sha256.Sum256(append([]byte(ts), body...))
	if !ecdsa.VerifyASN1(w.sendgrid, h[:], sig) {
		return nil, fmt.Errorf("%w: SendGrid signature", errForged)
	}
	if err := w.fresh(ts); err != nil {
		return nil, err
	}
	var evs []sendGridEvent
	if err := json.Unmarshal(body, &evs); err != nil {
		return nil, fmt.Errorf("%w: SendGrid events: %v", errMalformed, err)
	}
	var out []Event
	for _, e := range evs {
		r := Result{Recipient: e.Email, MessageID: strings.Trim(strings.TrimSpace(e.SMTPID), "<>")}
		switch e.Event {
		case "bounce":
			r.Status, r.Diagnostic = bestStatus(e.Status, e.Reason), e.Reason
			r.Kind, r.Reason = decide(r.Status, r.Diagnostic)
			// SendGrid's classification, when given, is the better judge:
			// only an invalid address is hard.
			switch {
			case e.Classification == "Invalid Address" && r.Kind != Hard:
				r.Kind, r.Reason = Hard, ReasonMailboxUnknown
			case e.Classification != "" && e.Classification != "Invalid Address" && r.Kind == Hard:
				r.Kind, r.Reason = Soft, ReasonOther
			case e.Classification == "Reputation" || e.Type == "blocked":
				r.Reason = ReasonBlocked
			case e.Classification == "Mailbox Unavailable" && r.Reason == ReasonOther:
				r.Reason = ReasonMailboxFull
			}
		case "deferred":
			r.Kind, r.Reason, r.Diagnostic = Delayed, ReasonDelayed, e.Reason
		case "spamreport":
			r.Kind, r.Reason, r.FeedbackType = Complaint, ReasonComplaint, "abuse"
		case "unsubscribe", "group_unsubscribe":
			r.Kind, r.Reason = Unsubscribe, ReasonUnsubscribe
		default:
			continue // processed, delivered, open, click, dropped…
		}
		id := e.EventID
		if id == "" {
			sum := sha256.Sum256(append(append([]byte(e.Event), 0), e.Email+"\x00"+e.SMTPID...))
			id = base64.RawURLEncoding.EncodeToString(sum[:12])
		}
		raw, _ := json.Marshal(e)
		out = append(out, Event{EventID: id, Result: r, ProviderID: e.SGMessageID, Raw: raw})
	}
	return out, nil
}
