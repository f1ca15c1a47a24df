package tracking

import (
	"net/mail"
	"regexp"
	"strings"
)

// dsn reads an RFC 3464 delivery status notification. Our messages have
// one recipient each, so the report is summed up by its first failed
// recipient, else its first delayed one.
func (p *parsed) dsn() (Result, bool) {
	pt, ok := p.first("message/delivery-status", "message/global-delivery-status")
	if !ok {
		return Result{}, false
	}
	groups := headerGroups(pt.body)
	if len(groups) == 0 {
		return Result{}, false
	}
	var failed, delayed *Result
	reported := false
	for _, g := range groups {
		action := strings.ToLower(strings.TrimSpace(g.Get("Action")))
		if action == "" {
			continue // the per-message group
		}
		reported = true
		diag := g.Get("Diagnostic-Code")
		if i := strings.IndexByte(diag, ';'); i >= 0 && i < 20 {
			diag = diag[i+1:] // "smtp; 550 5.1.1 …"
		}
		r := Result{
			Status:     bestStatus(g.Get("Status"), diag),
			Diagnostic: strings.TrimSpace(diag),
			Recipient:  addressOf(g.Get("Final-Recipient")),
		}
		if r.Recipient == "" {
			r.Recipient = addressOf(g.Get("Original-Recipient"))
		}
		switch {
		case action == "failed" && failed == nil:
			r.Kind, r.Reason = decide(r.Status, r.Diagnostic)
			failed = &r
		case action == "delayed" && delayed == nil:
			r.Kind, r.Reason = Delayed, ReasonDelayed
			delayed = &r
		}
	}
	switch {
	case failed != nil:
		return *failed, true
	case delayed != nil:
		return *delayed, true
	case reported:
		return Result{Kind: Unknown, Reason: ReasonDeliveryReport}, true
	}
	return Result{}, false
}

// addressOf strips the address type of a DSN field ("rfc822; a@b").
func addressOf(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
}

// feedback reads an RFC 5965 feedback report (ARF), the form mailbox
// providers send complaints in.
func (p *parsed) feedback() (Result, bool) {
	pt, ok := p.first("message/feedback-report")
	if !ok {
		return Result{}, false
	}
	groups := headerGroups(pt.body)
	if len(groups) == 0 {
		return Result{}, false
	}
	g := groups[0]
	ft := strings.ToLower(strings.TrimSpace(g.Get("Feedback-Type")))
	r := Result{Kind: Complaint, Reason: ReasonComplaint, FeedbackType: ft, Recipient: addressOf(g.Get("Original-Rcpt-To"))}
	switch ft {
	case "auth-failure":
		r.Reason = ReasonAuthFailure
	case "not-spam":
		r.Reason = ReasonNotSpam
	}
	return r, true
}

// Where the text of a bounce ends and the returned original begins: words
// in the original (a press release may say "blocked") must not count.
var originalMarkers = []string{
	"------ this is a copy of the message",         // Exim
	"--- below this line is a copy of the message", // qmail
	"original message headers",                     // Exchange
	"----- original message -----",
	"------ original message follows",
}

var (
	qmailRecipient = regexp.MustCompile(`(?m)^<([^>\s]+@[^>\s]+)>:\s*$`)
	angleAddress   = regexp.MustCompile(`<?([A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?`)
	exchangeDiag   = regexp.MustCompile(`(?i)(#?\d{3}[ -][245]\.\d{1,3}\.\d{1,3}[^\n]*|remote server returned '[^']*')`)
)

// textBounce recognises the plain-text bounces that qmail, Exim and
// Exchange still send instead of a DSN, by their well-known wording, and
// generic ones by the sender and subject a bounce always has.
func textBounce(h mail.Header, p *parsed) (Result, bool) {
	full := p.text()
	text := asciiLower(full)
	cut := len(text)
	for _, m := range originalMarkers {
		if i := strings.Index(text, m); i >= 0 && i < cut {
			cut = i
		}
	}
	text, full = text[:cut], full[:cut]
	var r Result
	switch {
	case strings.Contains(text, "this is the qmail-send program") || strings.Contains(text, "i'm afraid i wasn't able to deliver"):
		if m := qmailRecipient.FindStringSubmatchIndex(full); m != nil {
			r.Recipient = full[m[2]:m[3]]
			rest := full[m[1]:]
			if i := strings.Index(rest, "\n\n"); i >= 0 {
				rest = rest[:i]
			}
			r.Diagnostic = rest
		} else {
			r.Diagnostic = full
		}
	case strings.Contains(text, "mail delivery software") || h.Get("X-Failed-Recipients") != "":
		if strings.Contains(text, "has not yet been delivered") || strings.Contains(text, "delivery is delayed") {
			return Result{Kind: Delayed, Reason: ReasonDelayed, Recipient: strings.ToLower(h.Get("X-Failed-Recipients"))}, true
		}
		if !strings.Contains(text, "could not be delivered") && !strings.Contains(text, "permanent error") && h.Get("X-Failed-Recipients") == "" {
			return Result{}, false
		}
		r.Recipient = h.Get("X-Failed-Recipients")
		r.Diagnostic = afterRecipientLine(full)
	case strings.Contains(text, "delivery has failed to these recipients") ||
		strings.Contains(text, "did not reach some or all of the intended recipients") ||
		strings.Contains(text, "your message couldn't be delivered") || strings.Contains(text, "diagnostic information for administrators"):
		if m := exchangeDiag.FindAllString(full, -1); len(m) > 0 {
			r.Diagnostic = strings.Join(m, " ")
		} else {
			r.Diagnostic = full
		}
	case isDaemon(h):
		if strings.Contains(text, "delayed") || strings.Contains(text, "will continue trying") || strings.Contains(text, "still trying") {
			return Result{Kind: Delayed, Reason: ReasonDelayed}, true
		}
		r.Diagnostic = full
	default:
		return Result{}, false
	}
	if r.Recipient == "" {
		if m := angleAddress.FindStringSubmatch(r.Diagnostic); m != nil {
			r.Recipient = m[1]
		}
	}
	r.Recipient = strings.ToLower(strings.TrimSpace(r.Recipient))
	r.Status = findStatus(r.Diagnostic)
	r.Kind, r.Reason = decide(r.Status, r.Diagnostic)
	if len(r.Diagnostic) > maxDiagnostic {
		r.Diagnostic = r.Diagnostic[:maxDiagnostic]
	}
	return r, true
}

// afterRecipientLine is the part of an Exim bounce that explains the
// failure: what follows the first line naming an address.
func afterRecipientLine(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, "@") && strings.HasPrefix(l, " ") {
			end := len(lines)
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) == "" && j > i+1 {
					end = j
					break
				}
			}
			return strings.Join(lines[i:end], "\n")
		}
	}
	return s
}

// isDaemon reports a message that comes from a mail system about a
// message it could not deliver.
func isDaemon(h mail.Header) bool {
	from := strings.ToLower(h.Get("From"))
	if !strings.Contains(from, "mailer-daemon") && !strings.Contains(from, "postmaster") {
		return false
	}
	subj := strings.ToLower(decodeHeader(h.Get("Subject")))
	return containsAny(subj, []string{"undeliverable", "undelivered", "delivery status notification", "returned mail",
		"failure notice", "delivery failure", "mail delivery failed", "delivery has failed", "could not be delivered"})
}

// asciiLower lowers ASCII letters only, so offsets in the result are
// offsets in s whatever its charset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
