package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/demo"
)

// Screen sizes: a laptop's window for every page, and a phone's for the
// newsroom, which journalists read on the move.
const (
	desktopWidth, desktopHeight = 1280, 800
	phoneWidth, phoneHeight     = 390, 844
)

// photograph drives Chromium through the service at base and writes one
// PNG per page to out; it returns the files written.
func photograph(ctx context.Context, exe, base string, release int64, out string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.WindowSize(desktopWidth, desktopHeight), chromedp.Flag("hide-scrollbars", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	b := &browser{tab: tab, base: base, out: out}

	admin := demo.Users[0]
	rel := fmt.Sprintf("/office/releases/%d", release)
	b.do(chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.do(chromedp.Navigate(base+"/office/signin"), chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("email"), admin.Email), chromedp.SendKeys(chromedp.ID("password"), admin.Password))
	b.click("submit", "#home")
	b.shot("office-home.png", "/office/", "#home")
	b.shot("office-releases.png", "/office/releases", "#filter-form")
	// The audience panel is counted once the page is shown.
	b.shot("office-editor.png", rel+"/edit", "#panel-total")
	b.shot("office-preview.png", rel+"/preview", "#preview-public-fr")

	// Published from its page as a press officer would; the live view
	// then counts the messages going to the capture mailbox.
	// Publishing can be confirmed once the page has counted who it reaches.
	b.visit(rel, "#confirm:not([disabled])")
	b.eval(`document.getElementById("confirm").checked = true`)
	b.click("do-publish", "#live")
	b.until(`(document.querySelector('#progress [data-variant=public] .pct') || {}).textContent === "100%"`, time.Minute)
	// Loaded again, so that what the page wrote when it was served (the
	// recall's reach) counts the messages sent too.
	b.visit(rel, "#live")
	b.eval(`window.scrollTo(0, document.getElementById("live").getBoundingClientRect().top + window.scrollY - 100)`)
	b.capture("office-release-live.png")
	b.shot("office-report.png", rel+"/report", "#chart-status")
	b.shot("office-contacts.png", "/office/contacts", "#filter-form")

	b.shot("newsroom-home.png", "/?lang=en", "main")
	b.shot("newsroom-release.png", "/releases/"+demo.ReleaseSlug+"?lang=en", "main")
	b.shot("newsroom-subscribe.png", "/subscribe?lang=en", "form")
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	b.shot("newsroom-release-phone.png", "/releases/"+demo.ReleaseSlug+"?lang=en", "main")
	return b.written, b.err
}

// browser is one tab and the first thing that went wrong in it: once
// something has, the steps after it do nothing.
type browser struct {
	tab       context.Context
	base, out string
	written   []string
	err       error
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	if b.err == nil {
		b.err = chromedp.Do(b.tab, steps...)
	}
}

func (b *browser) eval(script string) {
	if b.err == nil {
		_, b.err = chromedp.Run(b.tab, chromedp.Evaluate[any](script))
	}
}

// until waits for a script to be true of the page.
func (b *browser) until(cond string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for b.err == nil {
		ok, err := chromedp.Run(b.tab, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.err = fmt.Errorf("waited %s for %s (%v)", limit, cond, err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// click presses a button or link that loads another page and waits for
// that page to show sel; the old page is marked so it is not mistaken
// for the new one.
func (b *browser) click(id, sel string) {
	b.eval(fmt.Sprintf(`document.body.dataset.left = "1"; document.getElementById(%q).click()`, id))
	b.until(fmt.Sprintf(`document.readyState === "complete" && !document.body.dataset.left && !!document.querySelector(%q)`, sel), 30*time.Second)
}

// visit loads path and waits for sel.
func (b *browser) visit(path, sel string) {
	b.do(chromedp.Navigate(b.base + path))
	b.until(fmt.Sprintf(`document.readyState === "complete" && !!document.querySelector(%q)`, sel), 30*time.Second)
}

// shot photographs the page at path once it shows sel.
func (b *browser) shot(name, path, sel string) {
	b.visit(path, sel)
	b.capture(name)
}

// capture writes what the window shows to name, after the fonts and
// frames have had a moment to settle.
func (b *browser) capture(name string) {
	if b.err != nil {
		return
	}
	time.Sleep(500 * time.Millisecond)
	png, err := chromedp.Run(b.tab, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(filepath.Join(b.out, name), png, 0o644)
	}
	if err != nil {
		b.err = fmt.Errorf("%s: %w", name, err)
		return
	}
	b.written = append(b.written, fmt.Sprintf("%s (%d KB)", filepath.Join(b.out, name), len(png)/1024))
}
