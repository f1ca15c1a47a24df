// Package browsertest drives the public pages in a real headless Chromium,
// as a journalist on a phone would: subscribe, confirm from the e-mail,
// change preferences, unsubscribe; the database is checked at each step.
package browsertest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/taxonomy"
	"github.com/communique/communique/web"
)

// env is the service under test: its pages on a test server, PostgreSQL,
// and the SMTP server the confirmation mails go to.
type env struct {
	url  string
	db   *sqlx.DB
	mail *mailbox.Server
}

func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, dsn := pgtest.DBURL(t)
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []taxonomy.Topic{
		{Slug: "migration-governance", Names: taxonomy.Names{"en": "Migration governance", "fr": "Gouvernance des migrations",
			"es": "Gobernanza de la migración", "ar": "حوكمة الهجرة"}},
		{Slug: "climate-mobility", Names: taxonomy.Names{"en": "Climate and mobility", "fr": "Climat et mobilité",
			"es": "Clima y movilidad", "ar": "المناخ والتنقل"}},
	} {
		if err := taxonomy.CreateTopic(ctx, db, tp); err != nil {
			t.Fatal(err)
		}
	}
	mb := mailbox.New(mailbox.Options{})
	addr, err := mb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	targets, err := mailer.ParseTargets("smtp://" + addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	signer := links.NewSigner("browser test secret")
	h := &web.Handler{DB: db, Logger: slog.New(slog.DiscardHandler), Signer: signer,
		AdminToken: "admin", FromName: "Media Office", FromEmail: "media@example.org"}
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(h.Close)
	t.Cleanup(srv.Close)
	h.BaseURL = srv.URL
	// The pages queue their mail; a dispatcher sends it, as in the service.
	nc, err := events.Connect(natstest.Embedded(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{DB: db, DSN: dsn, JS: js, Logger: slog.New(slog.DiscardHandler),
		Pools: []*mailer.Pool{mailer.NewPool(targets[0], "example.org")}, Signer: signer,
		FromName: "Media Office", FromEmail: "media@example.org", BaseURL: srv.URL})
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return &env{url: srv.URL, db: db, mail: mb}
}

// journey is what one journalist does, in one page language.
type journey struct {
	lang, email, dir string
	// second is the language added in the preferences.
	second string
	// Texts expected on the pages, in the page language.
	sent, confirmed, saved, unsubscribed string
}

func TestJournalistSubscribesConfirmsChangesAndUnsubscribes(t *testing.T) {
	exe := headless.Chromium(t)
	e := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe))...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	for _, j := range []journey{
		{lang: "fr", email: "awa.ndiaye@example.org", dir: "ltr", second: "ar", sent: "Consultez votre messagerie",
			confirmed: "Votre abonnement est confirmé", saved: "Vos préférences sont enregistrées",
			unsubscribed: "Vous êtes désabonné"},
		{lang: "ar", email: "layla.haddad@example.org", dir: "rtl", second: "fr", sent: "تحقّق من بريدك الوارد",
			confirmed: "تم تأكيد اشتراكك", saved: "تم حفظ تفضيلاتك", unsubscribed: "تم إلغاء اشتراكك"},
	} {
		t.Run(j.lang, func(t *testing.T) {
			t.Parallel()
			// Each journalist has a phone of their own: a browser context
			// with its own cookies.
			tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
			defer cancel()
			j.run(t, tab, e)
		})
	}
}

func (j journey) run(t *testing.T, tab context.Context, e *env) {
	b := &driver{t: t, ctx: tab, lang: j.lang}
	// A phone: narrow, touch, high density.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	b.do(chromedp.Navigate(e.url + "/subscribe?lang=" + j.lang))
	b.checkPage(j.dir, "subscribe")
	b.do(
		chromedp.SendKeys(chromedp.ID("email"), j.email),
		chromedp.SendKeys(chromedp.ID("name"), "Journalist "+j.lang),
		chromedp.Click(chromedp.CSS(`input[name=region][value=western-africa]`)),
		chromedp.Click(chromedp.CSS(`input[name=topic][value=migration-governance]`)),
		chromedp.SetValue(chromedp.ID("lang1"), j.lang),
		chromedp.SetValue(chromedp.ID("lang2"), "en"),
		chromedp.SetValue(chromedp.ID("timezone"), "Africa/Dakar"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("sent")),
	)
	b.checkPage(j.dir, "sent")
	b.contains("h1", j.sent)
	// The page answers first; the contact is recorded, then mailed, after.
	confirmURL := waitForConfirmation(t, tab, e.mail, j.email)
	c := getContact(t, e.db, j.email)
	if c.Status != "pending" || c.ConsentAt == nil || c.ConsentIP != "127.0.0.1" || c.ConsentSource != "subscribe form ("+j.lang+")" ||
		!slices.Equal(c.Subs, []string{"region:western-africa", "topic:migration-governance"}) ||
		!slices.Equal(c.Languages, []string{j.lang, "en"}) || c.Timezone != "Africa/Dakar" {
		t.Fatalf("after subscribing: %+v", c)
	}

	if !strings.HasPrefix(confirmURL, e.url+"/confirm/") || !strings.HasSuffix(confirmURL, "?lang="+j.lang) {
		t.Fatalf("confirmation link %q", confirmURL)
	}
	b.do(chromedp.Navigate(confirmURL))
	b.checkPage(j.dir, "confirm")
	if c := getContact(t, e.db, j.email); c.Status != "pending" {
		t.Fatalf("opening the confirmation link changed the status to %s", c.Status)
	}
	b.do(chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.CSS("a.button")))
	b.checkPage(j.dir, "confirmed")
	b.contains("h1", j.confirmed)
	if c := getContact(t, e.db, j.email); c.Status != "active" || c.ConfirmedAt == nil || c.ConfirmedIP != "127.0.0.1" {
		t.Fatalf("after confirming: %+v", c)
	}

	// Preferences: Senegal instead of Western Africa, one more topic,
	// another second language.
	b.do(chromedp.Click(chromedp.CSS("a.button")), chromedp.WaitVisible(chromedp.ID("preferences")))
	b.checkPage(j.dir, "preferences")
	b.do(
		chromedp.Click(chromedp.CSS(`input[name=region][value=western-africa]`)),
		chromedp.Click(chromedp.CSS(`details:first-of-type > summary`)),
		chromedp.Click(chromedp.CSS(`input[name=country][value=SN]`)),
		chromedp.Click(chromedp.CSS(`input[name=topic][value=climate-mobility]`)),
		chromedp.SetValue(chromedp.ID("lang2"), j.second),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	b.checkPage(j.dir, "saved")
	b.contains("#notice", j.saved)
	c = getContact(t, e.db, j.email)
	if !slices.Equal(c.Subs, []string{"country:SN", "topic:climate-mobility", "topic:migration-governance"}) ||
		!slices.Equal(c.Languages, []string{j.lang, j.second}) || c.Status != "active" {
		t.Fatalf("after changing preferences: %+v", c)
	}

	// Unsubscribing: the page asks, one click does it.
	b.do(chromedp.Click(chromedp.ID("unsubscribe-link")), chromedp.WaitVisible(chromedp.ID("unsubscribe")))
	b.checkPage(j.dir, "unsubscribe")
	if c := getContact(t, e.db, j.email); c.Status != "active" {
		t.Fatalf("opening the unsubscribe page changed the status to %s", c.Status)
	}
	b.do(chromedp.Click(chromedp.ID("unsubscribe")), chromedp.WaitVisible(chromedp.ID("message")))
	b.checkPage(j.dir, "unsubscribed")
	b.contains("h1", j.unsubscribed)
	if c := getContact(t, e.db, j.email); c.Status != "unsubscribed" || c.Suppressed != "unsubscribed" {
		t.Fatalf("after unsubscribing: %+v", c)
	}
}

// driver runs actions in one tab, failing the test on the first error.
type driver struct {
	t    *testing.T
	ctx  context.Context
	lang string
}

func (d *driver) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, steps...); err != nil {
		d.t.Fatal(err)
	}
}

// checkPage checks the page's language and direction as the browser
// computes them, and saves a screenshot when COMMUNIQUE_SCREENSHOTS names
// a directory.
func (d *driver) checkPage(dir, step string) {
	d.t.Helper()
	got, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]string](
		`[document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction]`))
	if err != nil {
		d.t.Fatal(err)
	}
	if !slices.Equal(got, []string{d.lang, dir, dir}) {
		d.t.Errorf("%s: lang, dir and computed direction %q, want %s, %s", step, got, d.lang, dir)
	}
	if out := os.Getenv("COMMUNIQUE_SCREENSHOTS"); out != "" {
		png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(out, d.lang+"-"+step+".png"), png, 0o644)
		}
		if err != nil {
			d.t.Logf("screenshot: %v", err)
		}
	}
}

func (d *driver) contains(sel, want string) {
	d.t.Helper()
	text, err := chromedp.Run(d.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatal(err)
	}
	if !strings.Contains(text, want) {
		d.t.Errorf("%s reads %q, want %q", sel, text, want)
	}
}

type contact struct {
	Status        string         `db:"status"`
	Languages     pq.StringArray `db:"languages"`
	Timezone      string         `db:"timezone"`
	ConsentAt     *time.Time     `db:"consent_at"`
	ConsentSource string         `db:"consent_source"`
	ConsentIP     string         `db:"consent_ip"`
	ConfirmedAt   *time.Time     `db:"confirmed_at"`
	ConfirmedIP   string         `db:"confirmed_ip"`
	Subs          pq.StringArray `db:"subs"`
	Suppressed    string         `db:"suppressed"`
}

func getContact(t *testing.T, db *sqlx.DB, email string) contact {
	t.Helper()
	var c contact
	err := db.Get(&c, `
		SELECT status, languages, timezone, consent_at, consent_source, consent_ip, confirmed_at, confirmed_ip,
			coalesce((SELECT array_agg(kind || ':' || value ORDER BY kind, value) FROM subscriptions WHERE contact_id = c.id), '{}') AS subs,
			coalesce((SELECT reason FROM suppressions WHERE email = lower(c.email)), '') AS suppressed
		FROM contacts c WHERE lower(email) = lower($1)`, email)
	if err != nil {
		t.Fatalf("contact %s: %v", email, err)
	}
	return c
}
