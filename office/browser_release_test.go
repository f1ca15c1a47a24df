package office

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/dispatcher"
	"github.com/communique/communique/events"
	"github.com/communique/communique/events/natstest"
	"github.com/communique/communique/links"
	"github.com/communique/communique/mailbox"
	"github.com/communique/communique/mailer"
	"github.com/communique/communique/outbox"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

// sending starts what sends releases: NATS, the outbox relay, a
// dispatcher to an SMTP server of the test's, and the embargo scheduler.
func (b *bundle) sending() *mailbox.Server {
	b.t.Helper()
	ctx := context.Background()
	mb := mailbox.New(mailbox.Options{})
	addr, err := mb.Start("127.0.0.1:0")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { mb.Close() })
	targets, err := mailer.ParseTargets("smtp://" + addr + "?tls=none&concurrency=2")
	if err != nil {
		b.t.Fatal(err)
	}
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
	d := dispatcher.New(dispatcher.Config{DB: b.db, JS: js, Logger: log, Pools: []*mailer.Pool{mailer.NewPool(targets[0], "example.org")},
		Signer: links.NewSigner("test secret"), FromName: "Media Office", FromEmail: "media@example.org", BaseURL: b.url,
		RetryBase: 200 * time.Millisecond})
	if err := d.Start(ctx); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(d.Stop)
	relay := &outbox.Relay{DB: b.db, JS: js, Logger: log, Poll: 20 * time.Millisecond}
	relay.Start(ctx)
	b.t.Cleanup(relay.Stop)
	s := &releases.Scheduler{Lifecycle: &releases.Lifecycle{DB: b.db}, Logger: log}
	s.Start(ctx)
	b.t.Cleanup(s.Stop)
	return mb
}

// A press officer writes a release in French and English, previews it,
// sends the preview's messages to themselves as a test and submits it;
// an editor clears it and publishes it under an embargo, brings the lift
// to a few seconds ahead, and watches the notice, the new time and then
// the public version go. Then the editor recalls another release, which
// went out earlier to one journalist: she alone is told to disregard it.
func TestBrowserWriteClearPublishWatch(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t, func(c *Config) { c.ClearanceRequired = true })
	b.importContacts()
	mb := b.sending()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)
	recalled := b.briefingToKate()

	d := newDriver(t, exe, 120*time.Second)
	name := func(n string) chromedp.CSS { return chromedp.CSS(`[name="` + n + `"]`) }
	js := func(script string) {
		t.Helper()
		if _, err := chromedp.Run(d.ctx, chromedp.Evaluate[any](script)); err != nil {
			t.Fatal(err)
		}
	}
	// click presses a button or link that loads another page and waits
	// for that page to show sel. The old page is marked first, so that
	// its own sel is not taken for the new one's, and nothing holds a
	// node of the old page while it goes away.
	click := func(id, sel string) {
		t.Helper()
		js(fmt.Sprintf(`document.body.dataset.left = "1"; document.getElementById(%q).click()`, id))
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok, err := chromedp.Run(d.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
				`document.readyState !== "loading" && !!document.body && !document.body.dataset.left && !!document.querySelector(%q)`, sel)))
			if err == nil && ok {
				// chromedp learns of the new document from an event that
				// can come after the page says it is there; until then it
				// looks nodes up in the old page's tree, and an action
				// fails with "Could not find node with given id". Its own
				// query, which cannot match the old page, waits for that.
				d.do(chromedp.WaitReady(chromedp.CSS("body:not([data-left]) " + sel)))
				return
			}
			if time.Now().After(deadline) {
				// Where the browser is tells a click that never left the
				// page from one that landed on another.
				where, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](
					`location.pathname + location.search + (document.body && document.body.dataset.left ? ", still the page it was pressed on" : "") + ": " + document.title`))
				t.Fatalf("after pressing #%s, no %s (%v); the browser is at %s", id, sel, err, where)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// contains reads an element's text by script: the live view rewrites
	// parts of the page, and a node held across that is gone.
	contains := func(sel, want string) {
		t.Helper()
		text, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s reads %q, want %q", sel, text, want)
		}
	}
	signIn := func(email string) {
		d.do(chromedp.Navigate(b.url+"/office/signin"), chromedp.WaitVisible(chromedp.ID("signin-form")),
			chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), pw))
		click("submit", "#home")
	}

	signIn("po@example.org")
	click("releases-link", "#filter-form")
	click("new-release", "#editor")
	d.do(chromedp.SendKeys(chromedp.ID("add_language"), "fr"))
	click("add-language", "#tr-fr")
	d.do(chromedp.SendKeys(chromedp.ID("slug"), "accord-mauritanie"),
		chromedp.Click(chromedp.CSS(`input[name=original_language][value=fr]`)),
		chromedp.SendKeys(name("translations.fr.title"), "Accord pour un bureau en Mauritanie"),
		chromedp.SendKeys(name("translations.fr.body"), "Le bureau ouvre en 2027.\n\n| Année | Budget |\n|---|---|\n| 2027 | 12 |\n"),
		chromedp.SendKeys(name("translations.en.title"), "Agreement for an office in Mauritania"),
		chromedp.SendKeys(name("translations.en.body"), "The office opens in 2027."),
		chromedp.Click(chromedp.CSS(`input[name=press_contacts][value="press@example.org"]`)),
		chromedp.Click(chromedp.CSS(`input[name=embargo_missions][value=concerned]`)),
		chromedp.Click(chromedp.ID("embargo_verified")))
	js(`document.querySelector('input[name=countries][value=MR]').checked = true`)
	// The embargo, typed in the browser's own zone: a minute ahead, time
	// enough to clear and publish; the editor brings it closer later.
	setTime := func(field string, ahead time.Duration) {
		js(fmt.Sprintf(`(() => { const t = new Date(Date.now() + %d), p = n => String(n).padStart(2, "0");
		document.getElementById(%q).value = t.getFullYear() + "-" + p(t.getMonth() + 1) + "-" + p(t.getDate()) +
			"T" + p(t.getHours()) + ":" + p(t.getMinutes()) + ":" + p(t.getSeconds()); })()`, ahead.Milliseconds(), field))
	}
	setTime("embargo_until", time.Minute)
	click("save-preview", "#preview-public-fr")
	contains("#preview-embargoed-fr .subject-line", "SOUS EMBARGO")
	contains("#preview-public-en .subject-line", "Agreement for an office in Mauritania")

	// A test of every language and message, to the officer's own address
	// unless another is typed.
	click("do-test", "#notice")
	contains("#notice", "4 test messages queued to po@example.org: French and English, public and embargoed.")
	tests := b.waitMail(mb, 4, func(m mailbox.Message) bool { return strings.HasPrefix(m.Subject, "[TEST] ") })
	var embargoed int
	for _, m := range tests {
		if len(m.To) != 1 || m.To[0] != "po@example.org" {
			t.Errorf("a test message went to %v", m.To)
		}
		if strings.Contains(m.Subject, "SOUS EMBARGO") || strings.Contains(m.Subject, "EMBARGOED") {
			embargoed++
		}
	}
	if embargoed != 2 {
		t.Errorf("%d of the test messages are embargoed notices, want 2", embargoed)
	}
	click("back-release", "#submit-form")
	click("do-submit", "#do-submit[disabled]")
	contains("#status", "Submitted for clearance")
	page := d.location()

	click("signout", "#signin-form")
	signIn("ed@example.org")
	d.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("clear-form")),
		chromedp.SendKeys(chromedp.ID("clear-comment"), "Bon pour diffusion."))
	click("do-clear", "#confirm:not([disabled])")
	contains("#status", "Cleared")
	contains("#publish-sentence", "The embargoed notice goes now to 1 mission and 1 verified journalist")
	d.do(chromedp.Click(chromedp.ID("confirm")))
	click("do-publish", "#lift-form")
	contains("#status", "Embargoed")

	// The live view, fed by events, shows the notice go.
	progress := func(variant string) string {
		s, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(document.querySelector('#progress [data-variant=%s] .pct') || {}).textContent || ""`, variant)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	watch := func(variants ...string) {
		t.Helper()
		for _, variant := range variants {
			deadline := time.Now().Add(40 * time.Second)
			for progress(variant) != "100%" {
				if time.Now().After(deadline) {
					t.Fatalf("%s: the live view shows %q", variant, progress(variant))
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	watch("embargoed")
	// The lift brought to three seconds ahead: the notice's two readers
	// are told the new time, and the public version goes at it.
	setTime("postpone-until", 3*time.Second)
	click("do-postpone", "#notice")
	watch("embargo_changed", "public")
	contains("#progress", "Sent")
	var lift struct {
		Until time.Time `db:"embargo_until"`
		First time.Time `db:"first"`
		N     int       `db:"n"`
	}
	if err := b.db.Get(&lift, `SELECT r.embargo_until, min(d.sent_at) AS first, count(*) AS n
		FROM releases r JOIN dispatches s ON s.release_id = r.id AND s.variant = 'public' JOIN deliveries d ON d.dispatch_id = s.id
		WHERE r.slug = 'accord-mauritanie' GROUP BY r.embargo_until`); err != nil {
		t.Fatal(err)
	}
	if lift.First.Before(lift.Until) {
		t.Errorf("the public version went at %s, before the lift at %s", lift.First, lift.Until)
	}
	t.Logf("the public version's first message left %v after the lift (%d public deliveries)", lift.First.Sub(lift.Until), lift.N)

	// The recall of the other release says whom it reaches before it is
	// confirmed, and reaches only her.
	d.do(chromedp.Navigate(fmt.Sprintf("%s/office/releases/%d", b.url, recalled)), chromedp.WaitVisible(chromedp.ID("recall-form")))
	contains("#recall-sentence", "One person received it")
	d.do(chromedp.SendKeys(chromedp.ID("recall-reason"), "The figures were wrong."))
	click("do-recall", "#confirm-recall-error")
	d.do(chromedp.SendKeys(chromedp.ID("recall-reason"), "The figures were wrong."), chromedp.Click(chromedp.ID("confirm-recall")))
	click("do-recall", "#notice")
	contains("#status", "Recalled")
	watch("recall")
	notices := b.waitMail(mb, 1, func(m mailbox.Message) bool { return strings.Contains(m.Subject, "DISREGARD") })
	if notices[0].To[0] != "kate@example.com" {
		t.Errorf("the recall notice went to %v", notices[0].To)
	}
	if body := string(notices[0].Data); !strings.Contains(body, "The figures were wrong.") {
		t.Errorf("the recall notice does not give the reason:\n%s", body)
	}
	var kate int
	for _, m := range append(b.mail.Messages(), mb.Messages()...) {
		if slices.Contains(m.To, "kate@example.com") {
			kate++
		}
	}
	if kate != 2 {
		t.Errorf("kate@example.com got %d messages, want the release and its recall", kate)
	}
}

// briefingToKate publishes, with no embargo, a release that reaches one
// journalist, who alone follows the United Kingdom, and waits until it
// has reached her.
func (b *bundle) briefingToKate() int64 {
	b.t.Helper()
	ctx := context.Background()
	if _, err := contacts.Import(ctx, b.db, strings.NewReader("email,name,kind,languages,countries\nkate@example.com,Kate Jones,journalist,en,GB\n"), contacts.ImportOptions{}); err != nil {
		b.t.Fatal(err)
	}
	lc := &releases.Lifecycle{DB: b.db}
	id, err := lc.Create(ctx, &releases.Draft{Release: releases.Release{Slug: "uk-briefing", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "Briefing on the United Kingdom", Body: "Figures for 2026."}},
		Countries:    []string{"GB"}, PressContacts: []string{"press@example.org"}}}, "user:po@example.org")
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := lc.Publish(ctx, id, "user:po@example.org", releases.PublishOptions{}); err != nil {
		b.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var sent int
		if err := b.db.Get(&sent, `SELECT count(*) FROM deliveries d JOIN dispatches s ON s.id = d.dispatch_id
			WHERE s.release_id = $1 AND d.status = 'sent'`, id); err != nil {
			b.t.Fatal(err)
		}
		if sent == 1 {
			return id
		}
		if time.Now().After(deadline) {
			b.t.Fatal("the briefing did not reach kate@example.com within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMail waits for n messages that match to reach either SMTP server of
// the test (the office's own mail may go through either dispatcher), and
// for no more to come for a moment; it returns them.
func (b *bundle) waitMail(mb *mailbox.Server, n int, match func(mailbox.Message) bool) []mailbox.Message {
	b.t.Helper()
	find := func() []mailbox.Message {
		var out []mailbox.Message
		for _, m := range append(b.mail.Messages(), mb.Messages()...) {
			if match(m) {
				out = append(out, m)
			}
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(find()) < n {
		if time.Now().After(deadline) {
			b.t.Fatalf("%d of %d messages arrived within 30 s", len(find()), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	got := find()
	if len(got) != n {
		b.t.Fatalf("%d messages arrived, want %d", len(got), n)
	}
	return got
}
