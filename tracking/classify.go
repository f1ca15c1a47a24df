// Package tracking follows a message after the relay accepted it: it
// classifies the mail that comes back (bounces, complaints, unsubscribe
// mail, auto-replies), matches it to the delivery or message it answers by
// the signed return path, and applies its effects with a record of it.
package tracking

import (
	"bytes"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Kind is what an inbound message is.
type Kind string

// The kinds, in the vocabulary of the API.
const (
	Hard        Kind = "hard"
	Soft        Kind = "soft"
	Delayed     Kind = "delayed"
	Complaint   Kind = "complaint"
	Unsubscribe Kind = "unsubscribe"
	AutoReply   Kind = "auto_reply"
	Unknown     Kind = "unknown"
)

// Kinds lists every kind.
var Kinds = []Kind{Hard, Soft, Delayed, Complaint, Unsubscribe, AutoReply, Unknown}

// Result is the classification of one inbound message.
type Result struct {
	Kind Kind
	// Reason is one word of the vocabulary in reason.go, e.g.
	// "mailbox_unknown" or "blocked".
	Reason string
	// Status is the enhanced status code ("5.1.1") when one was given.
	Status string
	// Diagnostic is the remote server's words, when given.
	Diagnostic string
	// Recipient is the failed address a report names, if any.
	Recipient string
	// FeedbackType is a complaint report's type ("abuse", "auth-failure").
	FeedbackType string
	// MessageID is the Message-ID of the returned original, when included.
	MessageID string
}

// Limits on what the classifier reads: a bounce worth reading is small,
// and anything nested deeper or split finer is not one we understand.
const (
	maxDepth = 8
	maxParts = 64
	// maxDiagnostic caps the diagnostic text kept.
	maxDiagnostic = 1000
)

// Classify reads a raw inbound message that was sent to rcpt (the
// envelope recipient) and says what it is. It never fails: what it cannot
// parse is Unknown with reason "malformed". The order follows what
// receivers see in practice: a DSN first, then a feedback report, then the
// text bounces of MTAs that send no DSN, then the mailto unsubscribe, then
// auto-replies, because Auto-Submitted alone also marks bounces.
func Classify(raw []byte, rcpt string) Result {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Result{Kind: Unknown, Reason: ReasonMalformed}
	}
	msg := &parsed{}
	if err := msg.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0); err != nil && len(msg.parts) == 0 {
		return Result{Kind: Unknown, Reason: ReasonMalformed}
	}
	if r, ok := msg.dsn(); ok {
		return finish(r, msg)
	}
	if r, ok := msg.feedback(); ok {
		return finish(r, msg)
	}
	if r, ok := textBounce(m.Header, msg); ok {
		return finish(r, msg)
	}
	if isUnsubscribeAddress(rcpt) || strings.EqualFold(strings.TrimSpace(m.Header.Get("X-Apple-Unsubscribe")), "true") {
		return Result{Kind: Unsubscribe, Reason: ReasonUnsubscribe}
	}
	if isAutoReply(m.Header) {
		return Result{Kind: AutoReply, Reason: ReasonAutoReply}
	}
	return Result{Kind: Unknown, Reason: ReasonUnrecognised}
}

// finish fills in the original's Message-ID and makes every text safe to
// store.
func finish(r Result, msg *parsed) Result {
	if r.MessageID == "" {
		r.MessageID = msg.originalMessageID()
	}
	r.Diagnostic = clean(r.Diagnostic, maxDiagnostic)
	r.Recipient = clean(r.Recipient, 320)
	r.Status = clean(r.Status, 20)
	r.FeedbackType = clean(r.FeedbackType, 40)
	r.MessageID = clean(r.MessageID, 300)
	return r
}

// clean makes s valid UTF-8 on one line and at most n bytes long.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// isUnsubscribeAddress reports whether an envelope recipient is one of
// the List-Unsubscribe mailto addresses.
func isUnsubscribeAddress(rcpt string) bool {
	return len(rcpt) > len(unsubscribePrefix) && strings.EqualFold(rcpt[:len(unsubscribePrefix)], unsubscribePrefix)
}

// isAutoReply recognises RFC 3834 auto-replies and the common vacation
// markers of servers that do not follow it.
func isAutoReply(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation"} {
		if h.Get(k) != "" {
			return true
		}
	}
	if p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p == "auto_reply" {
		return true
	}
	if v := h.Get("X-Auto-Response-Suppress"); v != "" && h.Get("In-Reply-To") != "" {
		return true
	}
	subj := strings.ToLower(decodeHeader(h.Get("Subject")))
	for _, p := range []string{"auto:", "automatic reply", "autoreply", "auto-reply", "out of office", "out of the office",
		"vacation", "abwesenheit", "réponse automatique", "respuesta automática", "absence du bureau", "fuera de la oficina"} {
		if strings.Contains(subj, p) {
			return true
		}
	}
	return false
}
