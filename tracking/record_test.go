package tracking

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// send records sample as received for addr, which must be one of ours.
func (f *fixture) send(rc *Recorder, addr, sampleName string) *Record {
	f.t.Helper()
	target, err := ParseAddress(addr, testDomain, f.signer)
	if err != nil {
		f.t.Fatalf("ParseAddress(%q): %v", addr, err)
	}
	rec, err := rc.Record(context.Background(), Inbound{EnvelopeFrom: "", EnvelopeTo: addr, Target: target, Raw: sample(f.t, sampleName)})
	if err != nil {
		f.t.Fatalf("Record %s: %v", sampleName, err)
	}
	return rec
}

func (f *fixture) state(deliveryID, contactID int64) string {
	f.t.Helper()
	return f.str(`SELECT d.status || ' ' || c.status || ' ' || coalesce(s.reason, '-')
		FROM deliveries d JOIN contacts c ON c.id = d.contact_id LEFT JOIN suppressions s ON s.email = lower(d.email)
		WHERE d.id = $1 AND c.id = $2`, deliveryID, contactID)
}

func TestRecordEffects(t *testing.T) {
	f := setup(t)
	rc := &Recorder{DB: f.db}
	tests := []struct {
		sample, kind, effect, state string
		unsubscribeAddr             bool
	}{
		{"dsn_hard_user_unknown.eml", "hard", "bounced", "bounced bounced bounced", false},
		{"qmail_hard.eml", "hard", "bounced", "bounced bounced bounced", false},
		{"dsn_soft_mailbox_full.eml", "soft", "counted 1 of 5", "sent active -", false},
		{"dsn_microsoft_block.eml", "soft", "recorded", "sent active -", false},
		{"dsn_delayed.eml", "delayed", "recorded", "sent active -", false},
		{"arf_abuse.eml", "complaint", "complained", "complained unsubscribed complained", false},
		{"arf_auth_failure.eml", "complaint", "recorded", "sent active -", false},
		{"autoreply_rfc3834.eml", "auto_reply", "recorded", "sent active -", false},
		{"unknown_reply.eml", "unknown", "recorded", "sent active -", false},
		{"unsubscribe_mailto.eml", "unsubscribe", "unsubscribed", "sent unsubscribed unsubscribed", true},
	}
	for i, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			f.t = t
			email := strings.Replace("reader-N@example.com", "N", string(rune('a'+i)), 1)
			d, c := f.delivery(email)
			addr := f.bounceAddr(d)
			if tt.unsubscribeAddr {
				addr = f.unsubscribeAddr(c)
			}
			rec := f.send(rc, addr, tt.sample)
			if string(rec.Result.Kind) != tt.kind || rec.Effect != tt.effect || rec.Recipient != email {
				t.Errorf("record = %s, %q, %q; want %s, %q, %q", rec.Result.Kind, rec.Effect, rec.Recipient, tt.kind, tt.effect, email)
			}
			if got := f.state(d, c); got != tt.state {
				t.Errorf("delivery, contact, suppression = %q, want %q", got, tt.state)
			}
			wantDelivery := d
			if tt.unsubscribeAddr {
				wantDelivery = 0
			}
			got := f.str(`SELECT kind || ' ' || coalesce(delivery_id, 0) || ' ' || coalesce(contact_id, 0) || ' ' || effect FROM inbound WHERE id = $1`, rec.ID)
			if want := strings.Join([]string{tt.kind, itoa(wantDelivery), itoa(c), tt.effect}, " "); got != want {
				t.Errorf("inbound row = %q, want %q", got, want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSoftBouncesSuppressAtTheLimit(t *testing.T) {
	f := setup(t)
	rc := &Recorder{DB: f.db, SoftBounceLimit: 3}
	d, c := f.delivery("full@example.com")
	for i, want := range []string{"counted 1 of 3", "counted 2 of 3"} {
		if rec := f.send(rc, f.bounceAddr(d), "dsn_soft_mailbox_full.eml"); rec.Effect != want {
			t.Fatalf("soft bounce %d: effect %q, want %q", i+1, rec.Effect, want)
		}
		if got := f.state(d, c); got != "sent active -" {
			t.Fatalf("after %d soft bounces: %q", i+1, got)
		}
	}
	if rec := f.send(rc, f.bounceAddr(d), "dsn_soft_mailbox_full.eml"); rec.Effect != "suppressed" {
		t.Fatalf("third soft bounce: effect %q", rec.Effect)
	}
	if got := f.state(d, c); got != "sent bounced bounced" {
		t.Fatalf("after the limit: %q", got)
	}
}

// Blocks of our own IP are soft and about us: no number of them
// suppresses a reader.
func TestBlocksNeverSuppress(t *testing.T) {
	f := setup(t)
	rc := &Recorder{DB: f.db, SoftBounceLimit: 2}
	d, c := f.delivery("reader@example.com")
	for range 4 {
		f.send(rc, f.bounceAddr(d), "dsn_microsoft_block.eml")
		f.send(rc, f.bounceAddr(d), "dsn_spamhaus_block.eml")
	}
	if got := f.state(d, c); got != "sent active -" {
		t.Fatalf("after 8 blocks: %q", got)
	}
}

// A delivery that went through between soft bounces starts the count
// again.
func TestSoftBounceCountRestartsAfterADelivery(t *testing.T) {
	f := setup(t)
	rc := &Recorder{DB: f.db, SoftBounceLimit: 3}
	d, c := f.delivery("sometimes@example.com")
	f.send(rc, f.bounceAddr(d), "dsn_soft_mailbox_full.eml")
	f.send(rc, f.bounceAddr(d), "dsn_soft_mailbox_full.eml")
	// Both bounces three days ago; a later release delivered two days ago
	// and never bounced.
	pgExec(t, f, `UPDATE inbound SET received_at = now() - interval '3 days'`)
	pgExec(t, f, `UPDATE deliveries SET sent_at = now() - interval '4 days' WHERE id = $1`, d)
	good := f.deliveryTo(f.newDispatch(), c, "sometimes@example.com")
	pgExec(t, f, `UPDATE deliveries SET sent_at = now() - interval '2 days' WHERE id = $1`, good)
	d3 := f.deliveryTo(f.newDispatch(), c, "sometimes@example.com")
	if rec := f.send(rc, f.bounceAddr(d3), "dsn_soft_mailbox_full.eml"); rec.Effect != "counted 1 of 3" {
		t.Fatalf("after a delivery: effect %q, want the count restarted", rec.Effect)
	}
	// Without the good delivery the same history reaches the limit.
	pgExec(t, f, `UPDATE deliveries SET sent_at = now() - interval '5 days' WHERE id = $1`, good)
	if rec := f.send(rc, f.bounceAddr(d3), "dsn_soft_mailbox_full.eml"); rec.Effect != "suppressed" {
		t.Fatalf("four soft bounces with no delivery between: effect %q", rec.Effect)
	}
	if got := f.state(d3, c); got != "sent bounced bounced" {
		t.Fatalf("state %q", got)
	}
}

func pgExec(t *testing.T, f *fixture, q string, args ...any) {
	t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestRecordMessageBounce(t *testing.T) {
	f := setup(t)
	rc := &Recorder{DB: f.db}
	var id int64
	if err := f.db.Get(&id, `INSERT INTO messages (kind, to_email, data, status, sent_at) VALUES ('confirmation', 'New@Example.net', 'x', 'sent', now()) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	addr := "bounce+m" + itoa(id) + "-" + f.signer.Token("bounce-message", id, zeroTime) + "@" + testDomain
	rec := f.send(rc, addr, "exim_hard.eml")
	if rec.MessageID != id || rec.Effect != "bounced" || rec.Recipient != "new@example.net" {
		t.Fatalf("record = %+v", rec)
	}
	if got := f.str(`SELECT m.status || ' ' || s.reason FROM messages m JOIN suppressions s ON s.email = 'new@example.net' WHERE m.id = $1`, id); got != "bounced bounced" {
		t.Fatalf("message and suppression: %q", got)
	}
}
