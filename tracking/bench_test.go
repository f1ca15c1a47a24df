package tracking

import (
	"context"
	"net/smtp"
	"testing"
)

// go test -run '^$' -bench Classify ./tracking
func BenchmarkClassify(b *testing.B) {
	raw := sample(b, "dsn_hard_user_unknown.eml")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		Classify(raw, "bounce+1-x@bounce.example.org")
	}
}

var benchSample = "dsn_soft_mailbox_full.eml"

// BenchmarkListener sends soft bounces over one SMTP connection, each
// classified and recorded before the server answers.
func BenchmarkListener(b *testing.B) {
	f := setupBench(b)
	l := NewListener(ListenerConfig{Addr: "127.0.0.1:0", Domain: testDomain, Signer: f.signer, Recorder: &Recorder{DB: f.db, SoftBounceLimit: 1 << 30}})
	if err := l.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var d int64
	if err := f.db.Get(&d, `WITH c AS (INSERT INTO contacts (email, kind) VALUES ('bench@example.com', 'journalist') RETURNING id)
		INSERT INTO deliveries (dispatch_id, contact_id, email, language, status, sent_at)
		SELECT $1, id, 'bench@example.com', 'en', 'sent', now() FROM c RETURNING id`, f.dispatch); err != nil {
		b.Fatal(err)
	}
	to := f.bounceAddr(d)
	raw := sample(b, benchSample)
	c, err := smtp.Dial(l.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if err := c.Mail(""); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt(to); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		w.Write(raw)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
