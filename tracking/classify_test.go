package tracking

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

func TestClassifySamples(t *testing.T) {
	const bounceRcpt, unsubRcpt = "bounce+12-TOKEN@bounce.example.org", "unsubscribe+TOKEN@bounce.example.org"
	tests := []struct {
		file, rcpt            string
		kind                  Kind
		reason, status, recip string
		feedback, messageID   string
	}{
		{"dsn_hard_user_unknown.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "5.1.1", "nobody@example.net", "", "delivery-12.release-3@example.org"},
		{"dsn_soft_mailbox_full.eml", bounceRcpt, Soft, ReasonMailboxFull, "5.2.2", "reader@example.com", "", "delivery-12.release-3@example.org"},
		{"dsn_delayed.eml", bounceRcpt, Delayed, ReasonDelayed, "4.4.1", "reader@example.com", "", "delivery-12.release-3@example.org"},
		{"dsn_postfix_450_411.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "4.1.1", "reader@example.com", "", ""},
		{"dsn_microsoft_block.eml", bounceRcpt, Soft, ReasonBlocked, "5.7.606", "reader@example.com", "", ""},
		{"dsn_microsoft_4650.eml", bounceRcpt, Soft, ReasonBlocked, "4.7.650", "reader@example.com", "", ""},
		{"dsn_exchange_541_access_denied.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "5.4.1", "reader@example.com", "", ""},
		{"dsn_relay_denied.eml", bounceRcpt, Soft, ReasonPolicy, "5.4.1", "reader@example.com", "", ""},
		{"dsn_generic_status.eml", bounceRcpt, Hard, ReasonDomainUnknown, "5.1.2", "reader@example.com", "", ""},
		{"dsn_spamhaus_block.eml", bounceRcpt, Soft, ReasonBlocked, "5.7.1", "reader@example.com", "", ""},
		{"dsn_dmarc_policy.eml", bounceRcpt, Soft, ReasonPolicy, "5.7.26", "reader@example.com", "", ""},
		{"dsn_delivered.eml", bounceRcpt, Unknown, ReasonDeliveryReport, "", "", "", ""},
		{"arf_abuse.eml", bounceRcpt, Complaint, ReasonComplaint, "", "", "abuse", "delivery-12.release-3@example.org"},
		{"arf_auth_failure.eml", bounceRcpt, Complaint, ReasonAuthFailure, "", "", "auth-failure", "delivery-12.release-3@example.org"},
		{"qmail_hard.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "5.1.1", "gone@example.net", "", ""},
		{"qmail_full.eml", bounceRcpt, Soft, ReasonMailboxFull, "", "busy@example.net", "", ""},
		{"exim_hard.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "5.1.1", "someone@example.com", "", ""},
		{"exim_delayed.eml", bounceRcpt, Delayed, ReasonDelayed, "", "someone@example.com", "", ""},
		{"exchange_text_hard.eml", bounceRcpt, Hard, ReasonMailboxUnknown, "5.1.1", "", "", ""},
		{"autoreply_rfc3834.eml", bounceRcpt, AutoReply, ReasonAutoReply, "", "", "", ""},
		{"autoreply_vacation.eml", bounceRcpt, AutoReply, ReasonAutoReply, "", "", "", ""},
		{"unsubscribe_mailto.eml", unsubRcpt, Unsubscribe, ReasonUnsubscribe, "", "", "", ""},
		{"unsubscribe_apple.eml", bounceRcpt, Unsubscribe, ReasonUnsubscribe, "", "", "", ""},
		{"unknown_reply.eml", bounceRcpt, Unknown, ReasonUnrecognised, "", "", "", ""},
		{"malformed.eml", bounceRcpt, Unknown, ReasonMalformed, "", "", "", ""},
		{"nested_deep.eml", bounceRcpt, Unknown, ReasonMalformed, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := Classify(raw, tt.rcpt)
			if r.Kind != tt.kind || r.Reason != tt.reason || r.Status != tt.status || r.FeedbackType != tt.feedback {
				t.Errorf("Classify = %s/%s status %q feedback %q (diagnostic %q); want %s/%s status %q feedback %q",
					r.Kind, r.Reason, r.Status, r.FeedbackType, r.Diagnostic, tt.kind, tt.reason, tt.status, tt.feedback)
			}
			if tt.recip != "" && r.Recipient != tt.recip {
				t.Errorf("Recipient = %q, want %q", r.Recipient, tt.recip)
			}
			if tt.messageID != "" && r.MessageID != tt.messageID {
				t.Errorf("MessageID = %q, want %q", r.MessageID, tt.messageID)
			}
		})
	}
}

// Words in the returned original must not decide: the sample release
// says "blocked" and "full mailbox", the bounce itself is a hard one.
func TestClassifyIgnoresTheOriginal(t *testing.T) {
	for _, f := range []string{"qmail_hard.eml", "exim_hard.eml", "exchange_text_hard.eml"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", f))
		if r := Classify(raw, "bounce+1-x@bounce.example.org"); r.Kind != Hard {
			t.Errorf("%s: %s/%s, want hard", f, r.Kind, r.Reason)
		}
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		status, diag string
		kind         Kind
		reason       string
	}{
		{"5.1.1", "550 5.1.1 user unknown", Hard, ReasonMailboxUnknown},
		{"5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", Hard, ReasonMailboxUnknown},
		{"5.7.649", "550 5.7.649 blocked tenant", Soft, ReasonBlocked},
		{"5.7.650", "550 5.7.650 something else", Soft, ReasonPolicy},
		{"5.7.605", "550 5.7.605 not a block of ours", Soft, ReasonPolicy},
		{"4.2.2", "452 4.2.2 mailbox over quota", Soft, ReasonMailboxFull},
		{"5.2.1", "550 5.2.1 mailbox disabled", Soft, ReasonMailboxDisabled},
		{"5.3.4", "552 5.3.4 message size exceeds fixed limit", Soft, ReasonTooLarge},
		{"5.4.4", "550 5.4.4 unable to route", Hard, ReasonDomainUnknown},
		{"", "550 No such user here", Hard, ReasonMailboxUnknown},
		{"5.0.0", "550 rejected: your IP has a poor reputation", Soft, ReasonBlocked},
		{"", "451 try again later", Soft, ReasonOther},
	}
	for _, tt := range tests {
		if k, r := decide(tt.status, tt.diag); k != tt.kind || r != tt.reason {
			t.Errorf("decide(%q, %q) = %s/%s, want %s/%s", tt.status, tt.diag, k, r, tt.kind, tt.reason)
		}
	}
}

func FuzzClassify(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Classify(raw, "bounce+1-x@bounce.example.org")
		ok := false
		for _, k := range Kinds {
			ok = ok || r.Kind == k
		}
		if !ok || r.Reason == "" {
			t.Fatalf("Classify = %+v", r)
		}
	})
}

// A bounce in UTF-16, as some Exchange servers send, is read after
// decoding; a charset nobody knows is read as it is.
func TestClassifyCharsets(t *testing.T) {
	text := "Delivery has failed to these recipients or groups:\r\n\r\nreader@example.com\r\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\r\n"
	utf16 := []byte{0xff, 0xfe}
	for _, r := range text {
		utf16 = append(utf16, byte(r), 0)
	}
	for charset, body := range map[string][]byte{"utf-16": utf16, "x-unheard-of": []byte(text), "windows-1252": []byte(text + "Andr\xe9\r\n")} {
		raw := "From: postmaster@example.com\r\nSubject: Undeliverable\r\nContent-Type: text/plain; charset=" + charset +
			"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(body) + "\r\n"
		if r := Classify([]byte(raw), "bounce+1-x@bounce.example.org"); r.Kind != Hard || r.Status != "5.1.1" {
			t.Errorf("%s: %s/%s status %q", charset, r.Kind, r.Reason, r.Status)
		}
	}
}
