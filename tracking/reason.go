package tracking

import (
	"regexp"
	"strconv"
	"strings"
)

// The reason vocabulary. Only an address that does not exist is hard;
// everything else about a failed message is soft and never suppresses the
// address on its own: a full mailbox empties, and a block or a policy
// refusal is about us, not about the recipient.
const (
	ReasonMailboxUnknown  = "mailbox_unknown"   // hard: no such mailbox
	ReasonDomainUnknown   = "domain_unknown"    // hard: no such domain, or no route to it
	ReasonMailboxFull     = "mailbox_full"      // soft: over quota
	ReasonMailboxDisabled = "mailbox_disabled"  // soft: exists but takes no mail now
	ReasonTooLarge        = "message_too_large" // soft
	ReasonBlocked         = "blocked"           // soft: our IP or domain is blocked or has a poor reputation
	ReasonPolicy          = "policy"            // soft: content, authentication or relaying refused
	ReasonOther           = "other"             // soft: a failure with no better explanation
	ReasonDelayed         = "delayed"           // still trying: a warning only
	ReasonComplaint       = "complaint"         // a recipient reported the message
	ReasonAuthFailure     = "auth_failure"      // a report about our domain's authentication, not a recipient
	ReasonNotSpam         = "not_spam"          // a recipient said it is not spam
	ReasonUnsubscribe     = "unsubscribe"
	ReasonAutoReply       = "auto_reply"
	ReasonDeliveryReport  = "delivery_report" // a DSN that reports success
	ReasonUnrecognised    = "unrecognised"
	ReasonMalformed       = "malformed"
)

var statusRE = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)

// findStatus returns the first enhanced status code in s.
func findStatus(s string) string {
	return statusRE.FindString(s)
}

// bestStatus prefers the specific code a diagnostic gives over a DSN's
// generic X.0.0 one.
func bestStatus(status, diag string) string {
	st := findStatus(status)
	if d := findStatus(diag); d != "" && (st == "" || strings.HasSuffix(st, ".0.0")) {
		return d
	}
	return st
}

var (
	relayDenied = []string{"relay access denied", "relaying denied", "relay not permitted", "relaying not allowed",
		"unable to relay", "relay denied"}
	blockMarkers = []string{"blocked", "blacklist", "blocklist", "block list", "spamhaus", "spamcop", "barracuda",
		"reputation", "listed at", "listed in", "banned sending ip", "denylist", "deny list"}
	fullMarkers   = []string{"mailbox full", "mailbox is full", "quota", "exceeded storage", "insufficient storage", "mailbox size limit"}
	domainMarkers = []string{"host or domain name not found", "domain not found", "no such domain", "domain does not exist",
		"nxdomain", "unrouteable address", "unroutable address", "no mx record", "name service error"}
	mailboxMarkers = []string{"user unknown", "unknown user", "no such user", "no such recipient", "no such mailbox",
		"unknown recipient", "recipient unknown", "recipient not found", "recipnotfound", "mailbox not found",
		"mailbox does not exist", "address does not exist", "account does not exist", "does not exist",
		"doesn't exist", "invalid recipient", "invalid mailbox", "no mailbox here by that name", "user not found",
		"not a valid mailbox", "unknown or illegal alias", "no such person", "mailbox unavailable: user"}
)

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// microsoftBlock reports Microsoft's codes for a block of the sender's IP
// or tenant (5.7.606 to 5.7.649, and 4.7.650): about us, never the
// recipient.
func microsoftBlock(status string) bool {
	m := statusRE.FindStringSubmatch(status)
	if m == nil || m[2] != "7" {
		return false
	}
	n, _ := strconv.Atoi(m[3])
	return (m[1] == "5" && n >= 606 && n <= 649) || (m[1] == "4" && n == 650)
}

// decide says whether a failure is hard or soft, and why, from its status
// code and the server's words. The words come first where they are
// specific, because servers reuse codes: a 5.4.1 is an unknown recipient
// at Exchange Online and a relay refusal elsewhere, and a 4.1.1 from
// Postfix is as final as a 5.1.1.
func decide(status, diag string) (Kind, string) {
	d := strings.ToLower(diag)
	var subject, detail int
	if m := statusRE.FindStringSubmatch(status); m != nil {
		subject, _ = strconv.Atoi(m[2])
		detail, _ = strconv.Atoi(m[3])
	}
	switch {
	case microsoftBlock(status):
		return Soft, ReasonBlocked
	case containsAny(d, relayDenied):
		return Soft, ReasonPolicy
	case containsAny(d, blockMarkers):
		return Soft, ReasonBlocked
	case containsAny(d, fullMarkers) || (subject == 2 && detail == 2):
		return Soft, ReasonMailboxFull
	case subject == 1 && (detail == 1 || detail == 6 || detail == 10):
		return Hard, ReasonMailboxUnknown
	case subject == 1 && detail == 2, subject == 4 && detail == 4:
		return Hard, ReasonDomainUnknown
	case subject == 4 && detail == 1 && strings.Contains(d, "access denied"):
		return Hard, ReasonMailboxUnknown
	case containsAny(d, domainMarkers):
		return Hard, ReasonDomainUnknown
	case containsAny(d, mailboxMarkers):
		return Hard, ReasonMailboxUnknown
	case subject == 2 && detail == 1:
		return Soft, ReasonMailboxDisabled
	case (subject == 3 && detail == 4) || (subject == 2 && detail == 3):
		return Soft, ReasonTooLarge
	case subject == 7:
		return Soft, ReasonPolicy
	}
	return Soft, ReasonOther
}
