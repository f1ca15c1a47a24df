package dispatcher_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/mailqueue"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/postgres/pgtest"
)

// counter is a fast SMTP sink: it counts what each recipient receives,
// keeps the first arrival's time, and keeps whole messages only for
// recipients outside example.net (the readers of bulk releases).
type counter struct {
	srv  *smtp.Server
	addr string

	mu     sync.Mutex
	byRcpt map[string]int
	first  map[string]time.Time
	kept   []keptMessage
	reject func(to string) *smtp.SMTPError
}

type keptMessage struct {
	from, to string
	data     []byte
}

// newCounter serves on addr ("127.0.0.1:0" for any port).
func newCounter(t *testing.T, addr string) *counter {
	t.Helper()
	c := &counter{byRcpt: map[string]int{}, first: map[string]time.Time{}}
	c.srv = smtp.NewServer(c)
	c.srv.Domain = "localhost"
	c.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.addr = l.Addr().String()
	go c.srv.Serve(l)
	t.Cleanup(func() { c.srv.Close() })
	return c
}

func (c *counter) NewSession(*smtp.Conn) (smtp.Session, error) { return &counterSession{c: c}, nil }

func (c *counter) received(to string) (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byRcpt[to], c.first[to]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.byRcpt {
		n += v
	}
	return n
}

func (c *counter) messages() []keptMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]keptMessage(nil), c.kept...)
}

type counterSession struct {
	c        *counter
	from, to string
}

func (s *counterSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *counterSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.c.mu.Lock()
	reject := s.c.reject
	s.c.mu.Unlock()
	if reject != nil {
		if err := reject(to); err != nil {
			return err
		}
	}
	s.to = to
	return nil
}
func (s *counterSession) Data(r io.Reader) error {
	var data []byte
	var err error
	if strings.HasSuffix(s.to, "@example.net") {
		_, err = io.Copy(io.Discard, r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.c.byRcpt[s.to] == 0 {
		s.c.first[s.to] = time.Now()
	}
	s.c.byRcpt[s.to]++
	if data != nil {
		s.c.kept = append(s.c.kept, keptMessage{s.from, s.to, data})
	}
	return nil
}
func (s *counterSession) Reset()        {}
func (s *counterSession) Logout() error { return nil }

// messageBundle is a database with readers, NATS, and what it takes to
// start dispatchers sending to an SMTP address.
type messageBundle struct {
	db  *sqlx.DB
	dsn string
	js  jetstream.JetStream
}

func setupMessages(t *testing.T, readers int) *messageBundle {
	t.Helper()
	db, dsn, js := fixture(t, readers)
	return &messageBundle{db: db, dsn: dsn, js: js}
}

// start starts a dispatcher sending to addr over concurrency connections.
func (b *messageBundle) start(t *testing.T, addr string, concurrency int, opts ...func(*dispatcher.Config)) *dispatcher.Dispatcher {
	t.Helper()
	targets, err := mailer.ParseTargets(fmt.Sprintf("smtp://%s?tls=none&concurrency=%d", addr, concurrency))
	if err != nil {
		t.Fatal(err)
	}
	cfg := dispatcher.Config{
		DB: b.db, DSN: b.dsn, JS: b.js, Logger: slog.New(slog.DiscardHandler),
		Pools:  []*mailer.Pool{mailer.NewPool(targets[0], "example.org")},
		Signer: links.NewSigner("s"), FromName: "Media", FromEmail: "media@example.org", BaseURL: "https://news.example.org",
		RetryBase: 200 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	d := dispatcher.New(cfg)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// confirm requests a subscription for email as the public page does,
// queuing its confirmation in the request's transaction.
func (b *messageBundle) confirm(t *testing.T, email string) int64 {
	t.Helper()
	var msgID int64
	req := contacts.SubscriptionRequest{Email: email, Countries: []string{"MR"}, Source: "test", IP: "192.0.2.9"}
	_, outcome, err := contacts.RequestSubscriptionMail(context.Background(), b.db, req,
		func(ctx context.Context, tx *sqlx.Tx, id int64, to string, _ contacts.RequestOutcome) (err error) {
			msgID, err = mailqueue.Enqueue(ctx, tx, &mailer.Message{FromName: "Media", FromEmail: "media@example.org",
				ToEmail: to, MessageID: fmt.Sprintf("confirm-%d@example.org", id), Language: "en",
				Subject: "Confirm", Text: "Confirm: https://news.example.org/confirm/x", HTML: "<p>Confirm</p>", Date: time.Now()},
				mailqueue.Meta{Kind: mailqueue.KindConfirmation, ContactID: id})
			return err
		})
	if err != nil || outcome != contacts.RequestPending {
		t.Fatalf("request %s: %v %v", email, outcome, err)
	}
	return msgID
}

type messageRow struct {
	Status   string `db:"status"`
	Attempts int    `db:"attempts"`
	Reply    string `db:"smtp_reply"`
	Code     *int   `db:"smtp_code"`
}

func (b *messageBundle) message(t *testing.T, id int64) messageRow {
	t.Helper()
	var r messageRow
	if err := b.db.Get(&r, `SELECT status, attempts, smtp_reply, smtp_code FROM messages WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return r
}

// freeAddr is a loopback address nothing listens on: connections to it
// are refused until a server starts there.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A confirmation requested while the relay refuses connections is
// recorded as deferred with the refusal, and leaves once the relay is
// back, within its retry interval, exactly once.
func TestMessageWaitsForTheRelay(t *testing.T) {
	t.Parallel()
	b := setupMessages(t, 0)
	addr := freeAddr(t)
	b.start(t, addr, 2)
	id := b.confirm(t, "awa@example.com")
	waitFor(t, "the refusal to be recorded", func() bool { return b.message(t, id).Status == "deferred" })
	if r := b.message(t, id); !strings.Contains(r.Reply, "connect to "+addr) || r.Attempts < 1 {
		t.Fatalf("deferred message: %+v", r)
	}
	time.Sleep(500 * time.Millisecond) // a few more attempts, backing off
	attempts := b.message(t, id).Attempts
	started := time.Now()
	sink := newCounter(t, addr)
	waitFor(t, "the confirmation", func() bool { n, _ := sink.received("awa@example.com"); return n > 0 })
	waited := time.Since(started)
	// The next retry is due at most RetryBase·2^(attempts-1)·1.2 after
	// the last; the worker looks then, not at the retry loop's next tick.
	bound := time.Duration(float64(200*time.Millisecond)*float64(uint(1)<<(attempts-1))*1.2) + time.Second
	t.Logf("relay back after %d attempts: the confirmation arrived %v later (bound %v)", attempts, waited, bound)
	if waited > bound {
		t.Errorf("the confirmation arrived %v after the relay came back, more than its retry interval %v", waited, bound)
	}
	time.Sleep(time.Second)
	if n, _ := sink.received("awa@example.com"); n != 1 {
		t.Fatalf("the confirmation arrived %d times", n)
	}
	if r := b.message(t, id); r.Status != "sent" || r.Attempts != attempts+1 || r.Code == nil || *r.Code != 250 {
		t.Fatalf("sent message: %+v", r)
	}
}

// A message requested while no dispatcher runs, and one whose worker
// died holding it, are sent by the next dispatcher, each once.
func TestNextDispatcherSendsWhatWasLeft(t *testing.T) {
	t.Parallel()
	b := setupMessages(t, 0)
	sink := newCounter(t, "127.0.0.1:0")
	waiting := b.confirm(t, "waiting@example.com")
	held := b.confirm(t, "held@example.com")
	// As a worker leaves a message it claimed when its process is killed.
	pgtest.Exec(t, b.db, `UPDATE messages SET attempts = 1, lease_until = now() + interval '1 second' WHERE id = $1`, held)
	start := time.Now()
	b.start(t, sink.addr, 2)
	waitFor(t, "both messages", func() bool {
		n1, _ := sink.received("waiting@example.com")
		n2, _ := sink.received("held@example.com")
		return n1 > 0 && n2 > 0
	})
	_, heldAt := sink.received("held@example.com")
	if heldAt.Sub(start) < 900*time.Millisecond {
		t.Errorf("a message was sent %v after start, while another worker's lease held it", heldAt.Sub(start))
	}
	time.Sleep(500 * time.Millisecond)
	for _, to := range []string{"waiting@example.com", "held@example.com"} {
		if n, _ := sink.received(to); n != 1 {
			t.Errorf("%s received %d messages", to, n)
		}
	}
	if r := b.message(t, waiting); r.Status != "sent" || r.Attempts != 1 {
		t.Errorf("waiting: %+v", r)
	}
	if r := b.message(t, held); r.Status != "sent" || r.Attempts != 2 {
		t.Errorf("held: %+v", r)
	}
}

// A confirmation requested while a 20,000-recipient release is sending
// leaves within two seconds, ahead of the release, which still completes.
func TestMessageGoesAheadOfARelease(t *testing.T) {
	t.Parallel()
	const readers = 20_000
	b := setupMessages(t, readers)
	sink := newCounter(t, "127.0.0.1:0")
	b.start(t, sink.addr, 4)
	relay := &outbox.Relay{DB: b.db, JS: b.js, Logger: slog.New(slog.DiscardHandler), Poll: 20 * time.Millisecond}
	relay.Start(context.Background())
	t.Cleanup(relay.Stop)
	bb := &bundle{db: b.db, js: b.js}
	bb.publish(t)
	waitFor(t, "the release to be sending", func() bool { return sink.total() >= 2000 })
	asked := time.Now()
	id := b.confirm(t, "urgent@example.com")
	waitFor(t, "the confirmation", func() bool { n, _ := sink.received("urgent@example.com"); return n > 0 })
	_, at := sink.received("urgent@example.com")
	latency := at.Sub(asked)
	sentBefore := sink.total()
	t.Logf("confirmation latency while a %d-recipient release was sending: %v (%d release messages out by then)", readers, latency, sentBefore)
	if latency > 2*time.Second {
		t.Errorf("the confirmation took %v", latency)
	}
	if sentBefore >= readers {
		t.Errorf("the release had finished (%d sent) before the confirmation left: the test measured nothing", sentBefore)
	}
	deadline := time.Now().Add(45 * time.Second)
	for sink.total() < readers+1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := sink.total(); got != readers+1 {
		t.Fatalf("%d messages arrived, want the release's %d and the confirmation", got, readers)
	}
	if r := b.message(t, id); r.Status != "sent" {
		t.Fatalf("message: %+v", r)
	}
}

// Messages are DKIM-signed when they leave, with a return path of their
// own that no delivery's can be mistaken for; a hard bounce suppresses
// the address and makes its contact bounced, as for a delivery.
func TestMessageSignedAndBounced(t *testing.T) {
	t.Parallel()
	b := setupMessages(t, 0)
	sink := newCounter(t, "127.0.0.1:0")
	sink.reject = func(to string) *smtp.SMTPError {
		if to == "nobody@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	b.start(t, sink.addr, 1, func(c *dispatcher.Config) { c.DKIM = mailer.NewDKIM(key, "sel", "example.org") })
	good := b.confirm(t, "awa@example.com")
	bad := b.confirm(t, "nobody@example.com")
	waitFor(t, "both outcomes", func() bool {
		return b.message(t, good).Status == "sent" && b.message(t, bad).Status == "bounced"
	})
	kept := sink.messages()
	if len(kept) != 1 || kept[0].to != "awa@example.com" {
		t.Fatalf("received %+v", kept)
	}
	wantFrom := fmt.Sprintf("bounce+m%d-", good)
	if !strings.HasPrefix(kept[0].from, wantFrom) || !strings.HasSuffix(kept[0].from, "@example.org") {
		t.Errorf("return path %q, want %s…@example.org", kept[0].from, wantFrom)
	}
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(kept[0].data), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain != "sel._domainkey.example.org" {
				return nil, fmt.Errorf("unexpected lookup %s", domain)
			}
			return []string{record}, nil
		},
	})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("DKIM: %v %+v", err, vs)
	}
	var state struct {
		Suppressed int    `db:"suppressed"`
		Status     string `db:"status"`
	}
	b.db.Get(&state, `SELECT (SELECT count(*) FROM suppressions WHERE email = 'nobody@example.com' AND reason = 'bounced') AS suppressed,
		(SELECT status FROM contacts WHERE email = 'nobody@example.com') AS status`)
	if state.Suppressed != 1 || state.Status != "bounced" {
		t.Fatalf("after a hard bounce: %+v", state)
	}
}
