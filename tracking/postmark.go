package tracking

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

type postmarkEvent struct {
	RecordType      string
	ID              json.Number
	Type            string
	MessageID       string
	Email           string
	Recipient       string
	Description     string
	Details         string
	SuppressSending bool
}

// postmark checks the basic-auth credentials set in Postmark's webhook
// URL, the only proof Postmark offers.
func (w *Webhooks) postmark(r *http.Request, body []byte) ([]Event, error) {
	user, pass, ok := r.BasicAuth()
	uh, ph := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	wu, wp := sha256.Sum256([]byte(w.cfg.PostmarkUser)), sha256.Sum256([]byte(w.cfg.PostmarkPassword))
	if !ok || subtle.ConstantTimeCompare(uh[:], wu[:])&subtle.ConstantTimeCompare(ph[:], wp[:]) != 1 {
		return nil, fmt.Errorf("%w: Postmark credentials", errForged)
	}
	var e postmarkEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%w: Postmark event: %v", errMalformed, err)
	}
	r0 := Result{Recipient: e.Email}
	if r0.Recipient == "" {
		r0.Recipient = e.Recipient
	}
	switch {
	case e.RecordType == "SpamComplaint" || (e.RecordType == "Bounce" && e.Type == "SpamComplaint"):
		r0.Kind, r0.Reason, r0.FeedbackType = Complaint, ReasonComplaint, "abuse"
	case e.RecordType == "Bounce":
		diag := e.Details
		if diag == "" {
			diag = e.Description
		}
		r0.Status, r0.Diagnostic = findStatus(diag), diag
		r0.Kind, r0.Reason = decide(r0.Status, diag)
		switch e.Type {
		case "HardBounce", "BadEmailAddress":
			if r0.Reason == ReasonOther {
				r0.Kind, r0.Reason = Hard, ReasonMailboxUnknown
			}
		case "DnsError":
			if r0.Reason == ReasonOther {
				r0.Kind, r0.Reason = Hard, ReasonDomainUnknown
			}
		case "Blocked":
			r0.Kind, r0.Reason = Soft, ReasonBlocked
		case "Transient":
			r0.Kind, r0.Reason = Delayed, ReasonDelayed
		}
	case e.RecordType == "SubscriptionChange" && e.SuppressSending:
		r0.Kind, r0.Reason = Unsubscribe, ReasonUnsubscribe
	default:
		return nil, nil // Delivery, Open, Click…: nothing to act on
	}
	id := e.RecordType + ":" + e.ID.String()
	if e.ID == "" {
		id = e.RecordType + ":" + e.MessageID + ":" + strconv.Quote(r0.Recipient)
	}
	return []Event{{EventID: id, Result: r0, ProviderID: e.MessageID, Raw: body}}, nil
}
