package office

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"
	"github.com/communique/communique/users"
)

// A press officer uploads a photo through the media page in a browser;
// the page, with its item, passes axe-core in English and Arabic.
func TestBrowserMediaPage(t *testing.T) {
	exe := headless.Chromium(t)
	script := headless.AxeScript(t, axeFile)
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	id := b.draftRelease("browser-media")
	file := filepath.Join(t.TempDir(), "Signing day.png")
	if err := os.WriteFile(file, mediaPNG(t, 640, 360), 0o600); err != nil {
		t.Fatal(err)
	}

	d := newDriver(t, exe, 90*time.Second)
	d.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))

	d.do(chromedp.Navigate(b.url+"/office/signin"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "po@example.org"), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("home")))
	page := b.url + "/office/releases/" + strconvID(id) + "/media"
	d.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.SendKeys(chromedp.ID("up-alt-fr"), "Deux personnes signent un accord"),
		chromedp.SendKeys(chromedp.ID("up-caption-en"), "The signing"),
		chromedp.Click(chromedp.ID("do-upload")), chromedp.WaitVisible(chromedp.ID("notice")))
	d.contains("#notice", "Signing-day.png is added.")
	// The notice shows before the thumbnail has arrived: wait for it.
	var loaded bool
	var err error
	for deadline := time.Now().Add(15 * time.Second); !loaded && err == nil && time.Now().Before(deadline); {
		loaded, err = chromedp.Run(d.ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('section.media-item img'); return !!i && i.complete && i.naturalWidth > 0; })()`))
		if !loaded {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if err != nil || !loaded {
		t.Errorf("the thumbnail did not load (%v)", err)
	}
	for _, lang := range []string{"en", "ar"} {
		d.do(chromedp.Navigate(page+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("section.media-item")))
		dir := "ltr"
		if lang == "ar" {
			dir = "rtl"
		}
		d.checkPage(lang, dir, "media")
		found, err := headless.Axe(d.ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range found {
			t.Errorf("%s: %s %s: %s on %s", lang, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		}
	}
}
