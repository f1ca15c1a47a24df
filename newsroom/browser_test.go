package newsroom_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"

	"github.com/communique/communique/releases"
)

// a11y lists what a reader with a screen reader or a keyboard would miss:
// a form field without a label, an image without alt text, a link
// without text, a page without exactly one h1, or content wider than the
// screen, which a phone would scroll sideways.
const a11y = `(() => {
	const bad = [];
	for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
		if (!el.labels || el.labels.length === 0) bad.push('no label: ' + (el.id || el.name));
	for (const img of document.querySelectorAll('img'))
		if (!img.hasAttribute('alt')) bad.push('no alt: ' + img.src);
	for (const a of document.querySelectorAll('a'))
		if (!a.textContent.trim() && !a.getAttribute('aria-label')) bad.push('empty link: ' + a.href);
	if (document.querySelectorAll('h1').length !== 1) bad.push('h1 count ' + document.querySelectorAll('h1').length);
	if (!document.documentElement.lang) bad.push('no lang');
	if (document.documentElement.scrollWidth > window.innerWidth) bad.push('wider than the screen: ' + document.documentElement.scrollWidth);
	return bad;
})()`

type driver struct {
	t   *testing.T
	ctx context.Context
}

// onPhone opens a tab of the Chromium at exe with a phone's screen, for
// at most a minute, closed with the test.
func onPhone(t *testing.T, exe string) *driver {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe))...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	d := &driver{t: t, ctx: tab}
	d.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	return d
}

func (d *driver) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, steps...); err != nil {
		d.t.Fatal(err)
	}
}

// check checks the page's language and direction as the browser computes
// them for the page and for sel, runs the accessibility checks, and saves
// a screenshot when COMMUNIQUE_SCREENSHOTS names a directory.
func (d *driver) check(lang, dir, sel, selDir, step string) {
	d.t.Helper()
	got, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]string](
		`[document.documentElement.lang, document.documentElement.dir, getComputedStyle(document.body).direction, getComputedStyle(document.querySelector(`+"`"+sel+"`"+`)).direction]`))
	if err != nil {
		d.t.Fatal(err)
	}
	if !slices.Equal(got, []string{lang, dir, dir, selDir}) {
		d.t.Errorf("%s: lang, dir, computed direction and %s's %q, want %s, %s, %s", step, sel, got, lang, dir, selDir)
	}
	bad, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]string](a11y))
	if err != nil {
		d.t.Fatal(err)
	}
	if len(bad) > 0 {
		d.t.Errorf("%s: %s", step, strings.Join(bad, "; "))
	}
	d.axe(step)
	if out := os.Getenv("COMMUNIQUE_SCREENSHOTS"); out != "" {
		png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(out, "newsroom-"+lang+"-"+step+".png"), png, 0o644)
		}
		if err != nil {
			d.t.Logf("screenshot: %v", err)
		}
	}
}

func (d *driver) text(sel string) string {
	d.t.Helper()
	s, err := chromedp.Run(d.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatal(err)
	}
	return s
}

// A reader on a phone opens the newsroom in Arabic, filters it by topic,
// opens a release in Arabic and switches it to English.
func TestBrowserNewsroomOnAPhoneInArabic(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t)
	b.publish(t, spec{slug: "health-office", tops: []string{"health"}, langs: map[string]releases.Translation{
		"en": {Title: "A health office opens in Nouakchott", Summary: "The office opens in 2027.", Body: "Call +222 45 25 00 00 for details.\n\n###"},
		"ar": {Title: "افتتاح مكتب صحي في نواكشوط", Summary: "يفتتح المكتب في عام 2027.", Body: "للمزيد اتصلوا بالرقم +222 45 25 00 00.\n\n###", Dateline: "نواكشوط"},
	}})
	b.clk.set(t0.Add(time.Hour))
	b.publish(t, spec{slug: "trade-talks", tops: []string{"trade"}})
	srv := httptest.NewServer(b.h)
	t.Cleanup(srv.Close)

	d := onPhone(t, exe)

	d.do(chromedp.Navigate(srv.URL+"/?lang=ar"), chromedp.WaitVisible(chromedp.CSS("ol.releases")))
	d.check("ar", "rtl", "form.filters", "rtl", "home")
	if got := d.text("ol.releases"); !strings.Contains(got, "افتتاح مكتب صحي") || !strings.Contains(got, "Title of trade-talks") {
		t.Errorf("home lists %q", got)
	}
	// The filtered page is the one whose form shows the topic chosen.
	d.do(chromedp.SetValue(chromedp.ID("topic"), "health"), chromedp.Click(chromedp.CSS("form.filters button")),
		chromedp.WaitReady(chromedp.CSS(`#topic option[value="health"][selected]`)), chromedp.WaitVisible(chromedp.CSS("ol.releases")))
	if got := d.text("ol.releases"); strings.Contains(got, "trade-talks") || !strings.Contains(got, "افتتاح مكتب صحي") {
		t.Errorf("filtered by topic, home lists %q", got)
	}

	d.do(chromedp.Click(chromedp.CSS(`ol.releases h2 a`)), chromedp.WaitVisible(chromedp.CSS("article h1")))
	d.check("ar", "rtl", "article", "rtl", "release")
	if got := d.text("article h1"); got != "افتتاح مكتب صحي في نواكشوط" {
		t.Errorf("release title %q", got)
	}
	if got := d.text("article bdi"); got != "+222 45 25 00 00" {
		t.Errorf("the phone number is not isolated: %q", got)
	}
	d.do(chromedp.Click(chromedp.CSS(`nav.release-langs a[hreflang=en]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang=en]`)))
	d.check("en", "ltr", "article", "ltr", "release-en")
	if got := d.text("article h1"); got != "A health office opens in Nouakchott" {
		t.Errorf("English title %q", got)
	}

	// The check sees a problem when there is one.
	d.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text" id="unlabelled">')`))
	if len(d.axeFindings()) == 0 {
		t.Error("axe-core found nothing wrong with a field without a label")
	}
}
