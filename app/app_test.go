package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/communique/communique/app"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/postgres/pgtest"
)

const token = "test-admin-token-0123456789abcdef0123"

// bundle is a running service with the real parts around it.
type bundle struct {
	t    *testing.T
	app  *app.App
	smtp *mailbox.Server
	nats string
}

func setup(t *testing.T, natsURL string, opts ...func(*app.Config)) *bundle {
	t.Helper()
	smtp := mailbox.New(mailbox.Options{})
	addr, err := smtp.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtp.Close() })
	cfg := app.Config{
		DatabaseURL: pgtest.URL(t),
		NATSURL:     natsURL,
		SMTPURL:     "smtp://" + addr + "?tls=none&concurrency=4",
		From:        "Media Office <media@example.org>",
		HTTPAddr:    "127.0.0.1:0",
		Secret:      "test-secret-0123456789abcdef0123456789",
		AdminToken:  token,
		DataDir:     t.TempDir(),
		Clearance:   "off",
		API:         true, Dispatcher: true, Migrate: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("COMMUNIQUE_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a := app.New(cfg, log)
	t.Cleanup(func() { a.Close() })
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	return &bundle{t: t, app: a, smtp: smtp, nats: a.NATSURL()}
}

// do sends an API request and decodes the JSON answer into out (if not nil),
// returning the status.
func (b *bundle) do(method, path, contentType string, body []byte, out any) int {
	b.t.Helper()
	req, err := http.NewRequest(method, b.app.URL()+path, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			b.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (b *bundle) count(query string, args ...any) int {
	b.t.Helper()
	var n int
	if err := b.app.DB.Get(&n, query, args...); err != nil {
		b.t.Fatal(err)
	}
	return n
}

const contactsCSV = "email,name,kind,organisation,country,languages,timezone,verified,regions,countries,topics,phone,title\r\n" +
	"press@example.org,Nora Belkacem,press_officer,Media Office,CH,fr;en,Europe/Zurich,true,,,,+41 22 555 0101,Press Officer\r\n" +
	"desk@example.org,Daniel Ortega,press_officer,Media Office,SN,en,Africa/Dakar,true,,,,,\r\n" +
	// Reached through the region containing the release's region.
	"africa.fr@example.com,Awa Diop,journalist,Sahel Daily,SN,fr,Africa/Dakar,false,africa,,,,\r\n" +
	// Through the country; prefers Spanish, which the release lacks, then English.
	"country.es@example.net,Lucía Pérez,journalist,Diario del Sur,ES,es;en,Europe/Madrid,false,,MR,,,\r\n" +
	// Through the topic; reads only Arabic, so gets the original (French).
	"topic.ar@example.com,Layla Haddad,journalist,Al-Bayan,JO,ar,Asia/Amman,false,,,migration-governance,,\r\n" +
	// Through a region holding the release's country; regional English.
	"ssa.en@example.org,John Smith,journalist,Global Wire,GB,en-GB,Europe/London,true,sub-saharan-africa,,,,\r\n" +
	// Mission with a subscription, like a journalist.
	"mission.mr@example.org,Permanent Mission of Mauritania,mission,Mission of Mauritania,MR,fr,Africa/Nouakchott,true,,MR,,,\r\n" +
	// Not reached: other region, other country, other topic, none at all.
	"europe@example.org,Pierre Martin,journalist,Le Courrier,FR,fr,Europe/Paris,false,europe,,,,\r\n" +
	"brazil@example.org,Mariana Silva,journalist,Crónica,BR,en,America/Sao_Paulo,false,,BR,,,\r\n" +
	"climate@example.org,Yuki Tanaka,journalist,Pacific Dispatch,JP,en,Asia/Tokyo,false,,,climate-mobility,,\r\n" +
	"mission.fr@example.org,Permanent Mission of France,mission,Mission of France,FR,fr,Europe/Paris,true,,,,,\r\n"

// expected maps each address that must receive the release to its language.
var expected = map[string]string{
	"africa.fr@example.com":  "fr",
	"country.es@example.net": "en",
	"topic.ar@example.com":   "fr",
	"ssa.en@example.org":     "en",
	"mission.mr@example.org": "fr",
}

const releaseJSON = `{
  "slug": "office-agreement",
  "original_language": "fr",
  "translations": {
    "fr": {"title": "Accord pour un bureau à Nouakchott", "summary": "Un bureau ouvre.", "body": "Le bureau **ouvre** ses portes.", "dateline": "Genève"},
    "en": {"title": "Agreement for an office in Nouakchott", "summary": "An office opens.", "body": "The office **opens** its doors.", "dateline": "Geneva"}
  },
  "regions": ["western-africa"], "countries": ["MR"], "topics": ["migration-governance"],
  "press_contacts": ["press@example.org", "desk@example.org"]
}`

func seedTopics(t *testing.T, b *bundle) {
	for _, slug := range []string{"migration-governance", "climate-mobility"} {
		pgtest.Exec(t, b.app.DB, `INSERT INTO topics (slug, names) VALUES ($1, '{}')`, slug)
	}
}

func TestPublishReachesInboxes(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.Embedded(t))
	runPublish(t, b)
}

// The machine's nats-server is the oldest JetStream the product supports.
func TestPublishReachesInboxesOnSystemNATS(t *testing.T) {
	t.Parallel()
	b := setup(t, natstest.External(t).URL)
	runPublish(t, b)
}

func runPublish(t *testing.T, b *bundle) {
	seedTopics(t, b)
	var imp struct{ Created int }
	if st := b.do("POST", "/api/v1/contacts/import", "text/csv", []byte(contactsCSV), &imp); st != 200 || imp.Created != 11 {
		t.Fatalf("import: status %d, created %d", st, imp.Created)
	}
	var created struct{ ID int64 }
	if st := b.do("POST", "/api/v1/releases", "application/json", []byte(releaseJSON), &created); st != 201 || created.ID == 0 {
		t.Fatalf("create: status %d, id %d", st, created.ID)
	}
	// Other systems follow progress on NATS.
	nc, err := nats.Connect(b.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	progress := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe(events.SubjectProgress, progress); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	var pub struct{ Status string }
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/publish", created.ID), "", nil, &pub); st != 202 || pub.Status != "published" {
		t.Fatalf("publish: status %d, %q", st, pub.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.smtp.Wait(ctx, len(expected)); err != nil {
		var rows []struct {
			Email  string `db:"email"`
			Status string `db:"status"`
			Reply  string `db:"smtp_reply"`
		}
		b.app.DB.Select(&rows, `SELECT email, status, smtp_reply FROM deliveries ORDER BY id`)
		t.Fatalf("waiting for %d messages, got %d: %v; deliveries: %+v", len(expected), b.smtp.Count(), err, rows)
	}
	t.Logf("publish to last message: %v", time.Since(start))

	seen := map[string]bool{}
	for _, m := range b.smtp.Messages() {
		if len(m.To) != 1 {
			t.Fatalf("message %d has recipients %v", m.ID, m.To)
		}
		to := m.To[0]
		want, ok := expected[to]
		if !ok {
			t.Errorf("%s received the release but is not in its audience", to)
			continue
		}
		if seen[to] {
			t.Errorf("%s received the release twice", to)
		}
		seen[to] = true
		checkMessage(t, m, want, !strings.HasPrefix(to, "mission."))
	}

	for done := false; !done; {
		select {
		case m := <-progress:
			var p struct {
				Type      string         `json:"type"`
				ReleaseID int64          `json:"release_id"`
				Slug      string         `json:"slug"`
				Total     int            `json:"total"`
				ByStatus  map[string]int `json:"by_status"`
			}
			if err := json.Unmarshal(m.Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != "delivery.progress" || p.ReleaseID != created.ID || p.Slug != "office-agreement" {
				t.Fatalf("progress event %s", m.Data)
			}
			done = p.Total == len(expected) && p.ByStatus["sent"] == len(expected)
		case <-time.After(10 * time.Second):
			t.Fatal("no progress event reported every delivery sent")
		}
	}

	// Publishing again, and the same event delivered again (as after a
	// crash past the de-duplication window), send nothing more.
	if st := b.do("POST", fmt.Sprintf("/api/v1/releases/%d/publish", created.ID), "", nil, &pub); st != 202 || pub.Status != "published" {
		t.Fatalf("second publish: status %d, %q", st, pub.Status)
	}
	redeliver(t, b, created.ID)
	time.Sleep(1500 * time.Millisecond)
	if n := b.smtp.Count(); n != len(expected) {
		t.Fatalf("after republish and redelivery: %d messages, want %d", n, len(expected))
	}
	if n := b.count(`SELECT count(*) FROM outbox`); n != 1 {
		t.Fatalf("outbox has %d events, want 1", n)
	}

	var rep struct {
		Total      int            `json:"total"`
		ByStatus   map[string]int `json:"by_status"`
		ByLanguage map[string]int `json:"by_language"`
		ByVariant  map[string]int `json:"by_variant"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.do("GET", fmt.Sprintf("/api/v1/releases/%d/report", created.ID), "", nil, &rep)
		if rep.ByStatus["sent"] == len(expected) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rep.Total != len(expected) || rep.ByStatus["sent"] != len(expected) || rep.ByLanguage["fr"] != 3 ||
		rep.ByLanguage["en"] != 2 || rep.ByVariant["public"] != len(expected) {
		t.Fatalf("report = %+v", rep)
	}
	if n := b.count(`SELECT count(*) FROM deliveries WHERE smtp_code = 250 AND smtp_reply <> '' AND sent_at IS NOT NULL`); n != len(expected) {
		t.Fatalf("%d deliveries record the SMTP reply, want %d", n, len(expected))
	}

	// The deliveries, page by page.
	var page struct {
		Deliveries []struct {
			Email, Status, Language, Variant string
			Attempts                         int
		}
		Next string
	}
	seenPages := map[string]bool{}
	url := fmt.Sprintf("/api/v1/releases/%d/deliveries?limit=2&status=sent", created.ID)
	for url != "" {
		page.Next = ""
		if st := b.do("GET", url, "", nil, &page); st != 200 {
			t.Fatalf("GET %s: %d", url, st)
		}
		for _, d := range page.Deliveries {
			if expected[d.Email] != d.Language || d.Status != "sent" || d.Variant != "public" || d.Attempts != 1 {
				t.Errorf("delivery %+v", d)
			}
			seenPages[d.Email] = true
		}
		url = page.Next
	}
	if len(seenPages) != len(expected) {
		t.Fatalf("pages listed %d deliveries, want %d", len(seenPages), len(expected))
	}
	var e apiError
	if st := b.do("GET", fmt.Sprintf("/api/v1/releases/%d/deliveries?status=lost", created.ID), "", nil, &e); st != 422 || !strings.Contains(strings.Join(e.Details, " "), "status") {
		t.Fatalf("bad status filter: %d %+v", st, e)
	}

	// Prometheus sees the same.
	metrics := b.metrics()
	for _, want := range []string{
		fmt.Sprintf(`communique_deliveries_total{status="sent"} %d`, len(expected)),
		`communique_events_published_total{subject="communique.release.published"} 1`,
		fmt.Sprintf(`communique_smtp_send_seconds_count{status="sent"} %d`, len(expected)),
		`communique_http_requests_total{code="202",route="POST /api/v1/releases/{id}/publish"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// redeliver publishes the release's event again under a new message id, so
// JetStream cannot de-duplicate it: the dispatcher itself must.
func redeliver(t *testing.T, b *bundle, releaseID int64) {
	t.Helper()
	var payload []byte
	if err := b.app.DB.Get(&payload, `SELECT payload FROM outbox WHERE payload->>'release_id' = $1`, fmt.Sprint(releaseID)); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(b.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := &nats.Msg{Subject: events.SubjectPublished, Data: payload, Header: nats.Header{}}
	msg.Header.Set("Nats-Msg-Id", fmt.Sprintf("replayed-%d", time.Now().UnixNano()))
	if _, err := nc.RequestMsg(msg, 5*time.Second); err != nil {
		t.Fatalf("replay event: %v", err)
	}
}

func checkMessage(t *testing.T, m mailbox.Message, lang string, journalist bool) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("message to %v: %v", m.To, err)
	}
	h := msg.Header
	if got := h.Get("Content-Language"); got != lang {
		t.Errorf("%v: Content-Language %q, want %q", m.To, got, lang)
	}
	wantSubject := map[string]string{"fr": "Accord pour un bureau à Nouakchott", "en": "Agreement for an office in Nouakchott"}[lang]
	if m.Subject != wantSubject {
		t.Errorf("%v: subject %q, want %q", m.To, m.Subject, wantSubject)
	}
	if id := h.Get("Message-Id"); !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("%v: Message-ID %q not on our domain", m.To, id)
	}
	if rt := h.Get("Reply-To"); !strings.Contains(rt, "press@example.org") {
		t.Errorf("%v: Reply-To %q, want the first press contact", m.To, rt)
	}
	for _, k := range []string{"Date", "From", "List-Id", "Auto-Submitted", "Precedence"} {
		if h.Get(k) == "" {
			t.Errorf("%v: no %s header", m.To, k)
		}
	}
	lu := h.Get("List-Unsubscribe")
	if journalist {
		if !strings.Contains(lu, "/unsubscribe/") || !strings.Contains(lu, "mailto:") ||
			h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("%v: List-Unsubscribe %q, List-Unsubscribe-Post %q", m.To, lu, h.Get("List-Unsubscribe-Post"))
		}
	} else if lu != "" {
		t.Errorf("%v: mission got List-Unsubscribe %q", m.To, lu)
	}
	if !strings.HasPrefix(m.From, "bounce+") || !strings.HasSuffix(m.From, "@example.org") {
		t.Errorf("%v: envelope sender %q is not a per-delivery return path", m.To, m.From)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(h.Get("Content-Type"), "multipart/alternative") || !bytes.Contains(body, []byte("text/plain")) || !bytes.Contains(body, []byte("text/html")) {
		t.Errorf("%v: not multipart/alternative with text and HTML: %s", m.To, h.Get("Content-Type"))
	}
}

func (b *bundle) metrics() string {
	b.t.Helper()
	resp, err := http.Get(b.app.URL() + "/metrics")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return string(data)
}
