package newsroom_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/communique/communique/headless"
	"github.com/communique/communique/releases"
)

// A reader on a phone opens a release with a photo and a document, in
// Arabic: the photo loads in its small rendition, and the page passes
// the accessibility checks.
func TestBrowserReleaseWithMedia(t *testing.T) {
	exe := headless.Chromium(t)
	b := setup(t)
	id := b.publish(t, spec{slug: "with-photos", langs: map[string]releases.Translation{
		"ar": {Title: "توقيع اتفاق في جنيف", Summary: "وُقّع الاتفاق اليوم.", Body: "نص البيان."}}})
	b.attach(t, id)
	srv := httptest.NewServer(b.h)
	t.Cleanup(srv.Close)

	d := onPhone(t, exe)

	d.do(chromedp.Navigate(srv.URL+"/releases/with-photos"), chromedp.WaitVisible(chromedp.CSS("figure img")))
	// A lazy image loads once near the screen: bring it there.
	d.do(chromedp.ScrollIntoView(chromedp.CSS("figure img")))
	var src string
	for range 50 {
		got, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]any](`(() => { const i = document.querySelector('figure img'); return [i.complete && i.naturalWidth > 0, i.currentSrc]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] == true {
			src, _ = got[1].(string)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(src, "/small/") && !strings.Contains(src, "/large/") {
		t.Fatalf("the photo did not load (current source %q)", src)
	}
	d.check("ar", "rtl", "figure", "rtl", "release-media")
	if got := d.text("figcaption .caption"); got != "توقيع الاتفاق في جنيف." {
		t.Errorf("caption %q", got)
	}
	if got := d.text("section.documents li a"); got != "The agreement (full text)" {
		t.Errorf("document link %q", got)
	}
}
