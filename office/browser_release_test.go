package office

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"
	"github.com/nats-io/nats.go/jetstream"

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

// A press officer writes a release in French and English, previews and
// submits it; an editor clears it and publishes it under an embargo a few
// seconds ahead, and watches the notice and then the public version go.
func TestBrowserWriteClearPublishWatch(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t, func(c *Config) { c.ClearanceRequired = true })
	b.importContacts()
	mb := b.sending()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe))...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	d := &driver{t: t, ctx: tab}
	name := func(n string) chromedp.CSS { return chromedp.CSS(`[name="` + n + `"]`) }
	signIn := func(email string) {
		d.do(chromedp.Navigate(b.url+"/office/signin"), chromedp.WaitVisible(chromedp.ID("signin-form")),
			chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), pw),
			chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("home")))
	}
	js := func(script string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Evaluate[any](script)); err != nil {
			t.Fatal(err)
		}
	}

	signIn("po@example.org")
	d.do(chromedp.Click(chromedp.ID("releases-link")), chromedp.WaitVisible(chromedp.ID("filter-form")),
		chromedp.Click(chromedp.ID("new-release")), chromedp.WaitVisible(chromedp.ID("editor")),
		chromedp.SendKeys(chromedp.ID("add_language"), "fr"), chromedp.Click(chromedp.ID("add-language")),
		chromedp.WaitVisible(chromedp.ID("tr-fr")))
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
	// The embargo, typed in the browser's own zone, 25 seconds ahead.
	js(`(() => { const t = new Date(Date.now() + 25000), p = n => String(n).padStart(2, "0");
		document.getElementById("embargo_until").value = t.getFullYear() + "-" + p(t.getMonth() + 1) + "-" + p(t.getDate()) +
			"T" + p(t.getHours()) + ":" + p(t.getMinutes()) + ":" + p(t.getSeconds()); })()`)
	d.do(chromedp.Click(chromedp.ID("save-preview")), chromedp.WaitVisible(chromedp.ID("preview-public-fr")))
	d.contains("#preview-embargoed-fr .subject-line", "SOUS EMBARGO")
	d.contains("#preview-public-en .subject-line", "Agreement for an office in Mauritania")
	d.do(chromedp.Click(chromedp.ID("back-release")), chromedp.WaitVisible(chromedp.ID("submit-form")),
		chromedp.Click(chromedp.ID("do-submit")), chromedp.WaitVisible(chromedp.CSS("#do-submit[disabled]")))
	d.contains("#status", "Submitted for clearance")
	page := d.location()

	d.do(chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin-form")))
	signIn("ed@example.org")
	d.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("clear-form")),
		chromedp.SendKeys(chromedp.ID("clear-comment"), "Bon pour diffusion."),
		chromedp.Click(chromedp.ID("do-clear")), chromedp.WaitVisible(chromedp.ID("publish-sentence")))
	d.contains("#status", "Cleared")
	d.contains("#publish-sentence", "The embargoed notice goes now to 1 mission and 1 verified journalist")
	d.do(chromedp.Click(chromedp.ID("confirm")), chromedp.Click(chromedp.ID("do-publish")), chromedp.WaitVisible(chromedp.ID("lift-form")))
	d.contains("#status", "Embargoed")

	// The live view, fed by events, shows the notice go, then the lift.
	progress := func(variant string) string {
		s, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(
			`(document.querySelector('#progress [data-variant=%s] .pct') || {}).textContent || ""`, variant)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, variant := range []string{"embargoed", "public"} {
		deadline := time.Now().Add(40 * time.Second)
		for progress(variant) != "100%" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the live view shows %q", variant, progress(variant))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if n := mb.Count(); n < 4 {
		t.Errorf("%d messages received", n)
	}
	text, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("progress")))
	if !strings.Contains(text, "Sent") {
		t.Errorf("the live view reads %q", text)
	}
}
