package tracking

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// snsMessage is an Amazon SNS HTTP(S) delivery.
type snsMessage struct {
	Type             string
	MessageId        string
	Token            string
	TopicArn         string
	Subject          *string
	Message          string
	SubscribeURL     string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
}

// snsHost is the only kind of host SNS certificates and subscription
// links may come from.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// checkSNSURL accepts only https://sns.<region>.amazonaws.com/… URLs: a
// forged message could otherwise name a certificate of its own.
func checkSNSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || !snsHost.MatchString(u.Hostname()) {
		return fmt.Errorf("%w: %q is not an SNS URL over HTTPS", errForged, raw)
	}
	return nil
}

// stringToSign is what SNS signs: the message's fields as "Key\nValue\n"
// pairs in key order, which depend on the message type.
func (m *snsMessage) stringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageId)
	if m.Type == "Notification" {
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// ses verifies an SNS delivery of Amazon SES notifications: the topic is
// ours, the certificate comes from SNS over HTTPS, and it signed the
// message (SHA-1 for signature version 1, SHA-256 for 2). A subscription
// confirmation is confirmed.
func (w *Webhooks) ses(r *http.Request, body []byte) ([]Event, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errForged, err)
	}
	if !slices.Contains(w.cfg.SESTopicARNs, m.TopicArn) {
		return nil, fmt.Errorf("%w: topic %q is not ours", errForged, m.TopicArn)
	}
	if err := w.verifySNS(r.Context(), &m); err != nil {
		return nil, err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		if err := checkSNSURL(m.SubscribeURL); err != nil {
			return nil, err
		}
		if err := w.cfg.Confirm(r.Context(), m.SubscribeURL); err != nil {
			return nil, fmt.Errorf("confirm the SNS subscription to %s: %w", m.TopicArn, err)
		}
		w.cfg.Logger.Info("SNS subscription confirmed", "topic", m.TopicArn)
		return nil, nil
	case "Notification":
		return sesEvents(m.MessageId, []byte(m.Message))
	}
	return nil, nil // UnsubscribeConfirmation and the like: nothing to do
}

func (w *Webhooks) verifySNS(ctx context.Context, m *snsMessage) error {
	alg := x509.SHA1WithRSA
	switch m.SignatureVersion {
	case "1":
	case "2":
		alg = x509.SHA256WithRSA
	default:
		return fmt.Errorf("%w: signature version %q", errForged, m.SignatureVersion)
	}
	if err := checkSNSURL(m.SigningCertURL); err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", errForged)
	}
	cert, err := w.snsCert(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	if err := cert.CheckSignature(alg, []byte(m.stringToSign()), sig); err != nil {
		return fmt.Errorf("%w: %v", errForged, err)
	}
	return nil
}

// snsCert fetches and keeps the certificate at u.
func (w *Webhooks) snsCert(ctx context.Context, u string) (*x509.Certificate, error) {
	w.mu.Lock()
	c := w.certs[u]
	w.mu.Unlock()
	if c != nil {
		return c, nil
	}
	b, err := w.cfg.FetchCert(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch SNS certificate: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%w: no certificate at %s", errForged, u)
	}
	if c, err = x509.ParseCertificate(blk.Bytes); err != nil {
		return nil, fmt.Errorf("%w: certificate at %s: %v", errForged, u, err)
	}
	w.mu.Lock()
	w.certs[u] = c
	w.mu.Unlock()
	return c, nil
}

// sesNotification is an SES notification or event, in either of the two
// shapes SES publishes (notificationType or eventType).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		// MessageID is SES's id of the message, which its SMTP
		// interface answered the final dot with.
		MessageID     string `json:"messageId"`
		Source        string `json:"source"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
		Headers []struct{ Name, Value string } `json:"headers"`
	} `json:"mail"`
	Bounce struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
	} `json:"complaint"`
	DeliveryDelay struct {
		DelayedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"delayedRecipients"`
	} `json:"deliveryDelay"`
}

// sesEvents maps an SES notification to events, one per recipient. A
// bounce is judged by each recipient's status and diagnostic, not by
// SES's bounce type: a Transient bounce can carry a 5.4.4.
func sesEvents(snsID string, msg []byte) ([]Event, error) {
	var n sesNotification
	if err := json.Unmarshal(msg, &n); err != nil {
		return nil, fmt.Errorf("%w: SES notification: %v", errMalformed, err)
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	mid := n.Mail.CommonHeaders.MessageID
	for _, h := range n.Mail.Headers {
		if mid == "" && strings.EqualFold(h.Name, "Message-ID") {
			mid = h.Value
		}
	}
	mid = strings.Trim(strings.TrimSpace(mid), "<>")
	ev := func(i int, r Result) Event {
		r.MessageID = mid
		return Event{EventID: fmt.Sprintf("%s/%d", snsID, i), Result: r, ReturnPath: n.Mail.Source,
			ProviderID: n.Mail.MessageID, Raw: msg}
	}
	var out []Event
	switch typ {
	case "Bounce":
		for i, br := range n.Bounce.BouncedRecipients {
			r := Result{Recipient: br.EmailAddress, Status: bestStatus(br.Status, br.DiagnosticCode), Diagnostic: br.DiagnosticCode}
			r.Kind, r.Reason = decide(r.Status, r.Diagnostic)
			switch {
			case n.Bounce.BounceType == "Permanent" && n.Bounce.BounceSubType == "NoEmail" && r.Reason == ReasonOther:
				r.Kind, r.Reason = Hard, ReasonMailboxUnknown
			case n.Bounce.BounceSubType == "MailboxFull" && r.Kind == Soft:
				r.Reason = ReasonMailboxFull
			}
			out = append(out, ev(i, r))
		}
	case "Complaint":
		ft := strings.ToLower(n.Complaint.ComplaintFeedbackType)
		reason := ReasonComplaint
		switch ft {
		case "auth-failure":
			reason = ReasonAuthFailure
		case "not-spam":
			reason = ReasonNotSpam
		}
		for i, cr := range n.Complaint.ComplainedRecipients {
			out = append(out, ev(i, Result{Kind: Complaint, Reason: reason, FeedbackType: ft, Recipient: cr.EmailAddress}))
		}
	case "DeliveryDelay":
		for i, dr := range n.DeliveryDelay.DelayedRecipients {
			out = append(out, ev(i, Result{Kind: Delayed, Reason: ReasonDelayed, Recipient: dr.EmailAddress,
				Status: findStatus(dr.Status), Diagnostic: dr.DiagnosticCode}))
		}
	}
	return out, nil
}
