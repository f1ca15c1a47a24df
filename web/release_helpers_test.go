package web

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/outbox"
)

// releaseContacts follow a release about Mauritania in several ways and
// languages. Its public audience: awa (fr, by country), li (zh, so the
// original fr), john (en, by Western Africa), ana (es;en, so en, by
// Africa); gone follows it but is suppressed, pierre follows France.
// Its embargo audience, with missions "concerned" and verified
// journalists: the mission of Mauritania, awa and ana.
const releaseContacts = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\n" +
	"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr,Europe/Zurich,true,,,,,\n" +
	"mission.mr@example.org,Mission of Mauritania,mission,Mission,MR,fr,Africa/Nouakchott,true,,,,,\n" +
	"mission.sn@example.org,Mission of Senegal,mission,Mission,SN,fr,Africa/Dakar,true,,,,,\n" +
	"awa@example.com,Awa Diop,journalist,Sahel Daily,SN,fr,Africa/Dakar,true,,MR,,,\n" +
	"li@example.com,Li Wei,journalist,Wire,CN,zh,Asia/Shanghai,false,,MR,,,\n" +
	"john@example.com,John Smith,journalist,Global Wire,GB,en,Europe/London,false,western-africa,,,,\n" +
	"ana@example.com,Ana Silva,journalist,Diario,ES,es;en,Europe/Madrid,true,africa,,,,\n" +
	"gone@example.com,Gone Away,journalist,Old Paper,FR,en,UTC,false,,MR,,,\n" +
	"pierre@example.com,Pierre Martin,journalist,Le Courrier,FR,fr,Europe/Paris,false,,FR,,,\n"

// importReleaseContacts loads releaseContacts and suppresses gone.
func (b *bundle) importReleaseContacts() {
	b.t.Helper()
	req := strings.NewReader(releaseContacts)
	if st := b.raw("POST", "/api/v1/contacts/import", "text/csv", req); st != 200 {
		b.t.Fatalf("import: %d", st)
	}
	if st := b.api("POST", "/api/v1/suppressions", `{"email": "gone@example.com", "reason": "bounced"}`, nil); st != 201 && st != 200 {
		b.t.Fatalf("suppress: %d", st)
	}
}

// raw sends an authenticated request with a body of any type.
func (b *bundle) raw(method, path, contentType string, body io.Reader) int {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// releaseJSON is a release about Mauritania in French and English, with
// extra fields (say, an embargo) spliced in.
func releaseJSON(slug, extra string) string {
	return releaseJSONIn(slug, `{
		"fr": {"title": "Accord pour un bureau", "summary": "Un accord signé à Genève.", "body": "Le bureau ouvre en 2027.", "dateline": "Genève"},
		"en": {"title": "Agreement for an office", "summary": "An agreement signed in Geneva.", "body": "The office opens in 2027.", "dateline": "Geneva"}}`, extra)
}

// releaseJSONIn is releaseJSON with other translations, French first.
func releaseJSONIn(slug, translations, extra string) string {
	return `{"slug": "` + slug + `", "original_language": "fr", "translations": ` + translations + `,
		"countries": ["MR"], "embargo_audience": {"missions": "concerned", "verified_journalists": true},
		"press_contacts": ["press@example.org"]` + extra + `}`
}

// createRelease creates a release and returns its id.
func (b *bundle) createRelease(body string) int64 {
	b.t.Helper()
	var created struct{ ID int64 }
	if st := b.api("POST", "/api/v1/releases", body, &created); st != 201 || created.ID == 0 {
		b.t.Fatalf("create: %d", st)
	}
	return created.ID
}

// count runs a counting query.
func (b *bundle) count(q string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.db.Get(&n, q, args...); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// withMail starts a real SMTP server in the test's process, the capture
// mailbox, and returns it with a pool for withDispatcher to send through.
func (b *bundle) withMail(opts mailbox.Options) (*mailbox.Server, *mailer.Pool) {
	b.t.Helper()
	srv := mailbox.New(opts)
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { srv.Close() })
	targets, err := mailer.ParseTargets("smtp://" + addr + "?tls=none&concurrency=2")
	if err != nil {
		b.t.Fatal(err)
	}
	return srv, mailer.NewPool(targets[0], "example.org")
}

// withDispatcher runs what sends a published release and the queued
// messages: a NATS server, the outbox relay and a dispatcher sending
// through pool.
func (b *bundle) withDispatcher(pool *mailer.Pool) {
	b.t.Helper()
	ctx := context.Background()
	nc, err := events.Connect(natstest.Embedded(b.t), "test")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := events.EnsureStreams(ctx, js); err != nil {
		b.t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d := dispatcher.New(dispatcher.Config{DB: b.db, JS: js, Logger: log, Pools: []*mailer.Pool{pool},
		Signer: b.signer, FromName: "Media Office", FromEmail: "media@example.org", BaseURL: b.srv.URL,
		RetryBase: 200 * time.Millisecond, DSN: b.dsn})
	if err := d.Start(ctx); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(d.Stop)
	b.sending = true
	relay := &outbox.Relay{DB: b.db, JS: js, Logger: log, Poll: 20 * time.Millisecond}
	relay.Start(ctx)
	b.t.Cleanup(relay.Stop)
}

// waitMail waits until the mailbox holds n messages, then a little more
// to see that no other comes.
func waitMail(t *testing.T, s *mailbox.Server, n int) []mailbox.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Wait(ctx, n); err != nil {
		t.Fatalf("waiting for %d messages, have %d", n, s.Count())
	}
	time.Sleep(700 * time.Millisecond)
	if got := s.Count(); got != n {
		t.Fatalf("%d messages, want %d", got, n)
	}
	return s.Messages()
}

// sentMessage is a received message's parts, decoded.
type sentMessage struct {
	to, subject, lang, text, html string
}

func decodeMessage(t *testing.T, m mailbox.Message) sentMessage {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("message to %v: %v", m.To, err)
	}
	out := sentMessage{to: strings.Join(m.To, ","), subject: m.Subject, lang: msg.Header.Get("Content-Language")}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("message to %v: %v", m.To, err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message to %v: %v", m.To, err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("message to %v: %v", m.To, err)
		}
		switch typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); typ {
		case "text/plain":
			out.text = string(b)
		case "text/html":
			out.html = string(b)
		}
	}
	if out.text == "" || out.html == "" {
		t.Fatalf("message to %v lacks a part: %q", m.To, m.Data)
	}
	return out
}

// oneLine joins s's words with single spaces, so wrapped text compares
// with the sentence it wraps.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// byRecipient keeps the messages received after the first after, by
// recipient.
func byRecipient(t *testing.T, msgs []mailbox.Message, after int) map[string]sentMessage {
	t.Helper()
	out := map[string]sentMessage{}
	for _, m := range msgs[after:] {
		d := decodeMessage(t, m)
		if _, dup := out[d.to]; dup {
			t.Fatalf("%s received two messages", d.to)
		}
		out[d.to] = d
	}
	return out
}

// recipients lists the keys of m, sorted, comma-separated.
func recipients(m map[string]sentMessage) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}
