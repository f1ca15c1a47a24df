package newsroom_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/communique/communique/links"
	"github.com/communique/communique/media"
	"github.com/communique/communique/newsroom"
	"github.com/communique/communique/releases"
)

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testPDF = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

// attach adds a photo and a document to release id.
func (b *bundle) attach(t testing.TB, id int64) (photo, doc *media.Media) {
	t.Helper()
	lib := media.New(b.db, nil, nil)
	ctx := context.Background()
	photo, err := lib.Add(ctx, media.Upload{ReleaseID: id, Filename: "Signing ceremony.jpg", Data: bytes.NewReader(testJPEG(t, 600, 400)),
		Texts: media.Texts{
			"en": {Caption: "The agreement is signed in Geneva.", Credit: "Photo: A. Diallo", Alt: "Two officials sign a document at a table"},
			"ar": {Caption: "توقيع الاتفاق في جنيف.", Credit: "تصوير: أ. ديالو", Alt: "مسؤولان يوقعان وثيقة"}},
		Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err = lib.Add(ctx, media.Upload{ReleaseID: id, Filename: "agreement.pdf", Data: strings.NewReader(testPDF),
		Texts: media.Texts{"en": {Caption: "The agreement (full text)"}}, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return photo, doc
}

// The release's page, its media and their files do not exist one
// millisecond before the lift, exist right after, and a restart changes
// neither.
func TestMediaAppearAtTheLift(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "with-photos", until: &until})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	photo, doc := b.attach(t, id)
	files := []string{photo.Path("original"), photo.Path("small"), photo.Path("large"), doc.Path("original")}
	restarted := func() *bundle {
		c := *b
		c.h = newsroom.New(newsroom.Config{DB: b.db, BaseURL: base, Signer: links.NewSigner(secret)})
		return &c
	}
	absent := func(step string, b *bundle) {
		t.Helper()
		for _, f := range append(files, "/releases/with-photos") {
			res, body := b.get(t, f)
			if res.StatusCode != 404 {
				t.Errorf("%s: %s is %d", step, f, res.StatusCode)
			}
			if strings.Contains(body, "\xff\xd8") || strings.Contains(body, "%PDF") {
				t.Errorf("%s: %s shows the file", step, f)
			}
		}
	}
	absent("embargoed", b)
	if _, feed := b.get(t, "/feeds/en.atom"); strings.Contains(feed, "enclosure") || strings.Contains(feed, "/media/") {
		t.Errorf("the feed links the media before the lift:\n%s", feed)
	}
	b.clk.set(until.Add(-time.Millisecond))
	if n, err := b.lc.LiftDue(ctx); n != 0 || err != nil {
		t.Fatalf("LiftDue a millisecond early = %d, %v", n, err)
	}
	absent("a millisecond before the lift", b)
	absent("a millisecond before the lift, after a restart", restarted())

	b.clk.set(until)
	if n, err := b.lc.LiftDue(ctx); n != 1 || err != nil {
		t.Fatalf("LiftDue = %d, %v", n, err)
	}
	for _, c := range []*bundle{b, restarted()} {
		for _, f := range files {
			res, body := c.get(t, f)
			wantStatus(t, res, body, 200)
		}
	}

	_, feed := b.get(t, "/feeds/en.atom")
	if want := `<link rel="enclosure" type="application/pdf" href="` + base + doc.Path("original") + `" title="The agreement (full text)" length="` +
		strconv.Itoa(len(testPDF)) + `"></link>`; !strings.Contains(feed, want) {
		t.Errorf("the feed lacks %s:\n%s", want, feed)
	}
	res, body := b.get(t, photo.Path("small"))
	want := map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "public, max-age=86400, immutable", "ETag": `"` + photo.Renditions[0].SHA256 + `"`,
		"Content-Disposition": `inline; filename=Signing-ceremony.jpg`}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("small rendition: %s %q, want %q", k, got, v)
		}
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(body)); err != nil || cfg.Width != 400 {
		t.Errorf("small rendition: %d wide (%v)", cfg.Width, err)
	}
	res, _ = b.get(t, photo.Path("small"), "If-None-Match: "+want["ETag"])
	if res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	res, body = b.get(t, doc.Path("original"))
	if res.Header.Get("Content-Type") != "application/pdf" || res.Header.Get("Content-Disposition") != "attachment; filename=agreement.pdf" ||
		res.Header.Get("Cache-Control") != "public, no-cache" || body != testPDF {
		t.Errorf("document: %v %q", res.Header, body)
	}
	// Only the address the page links is served.
	for _, bad := range []string{"/media/" + itoa(photo.ID) + "/small/other.jpg", "/media/" + itoa(photo.ID) + "/huge/Signing-ceremony.jpg", "/media/x/small/a.jpg"} {
		if res, _ := b.get(t, bad); res.StatusCode != 404 {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}

	// The page shows the photo with its texts and renditions, and the
	// document.
	res, body = b.get(t, "/releases/with-photos")
	wantStatus(t, res, body, 200)
	for _, w := range []string{
		`<figure>`, `alt="Two officials sign a document at a table"`, `loading="lazy"`,
		`srcset="` + photo.Path("small") + ` 400w, ` + photo.Path("large") + ` 600w"`,
		`<span class="caption">The agreement is signed in Geneva.</span>`, `<span class="credit">Photo: A. Diallo</span>`,
		`href="` + photo.Path("original") + `">Original (JPEG, `, `<h2 id="documents">Documents</h2>`,
		`<a href="` + doc.Path("original") + `">The agreement (full text)</a> <span class="meta">(PDF, 1 KB)</span>`,
		`<meta property="og:image" content="` + base + photo.Path("large") + `">`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %s", w)
		}
	}

	// Recalled, the release takes its files with it.
	if err := b.lc.Recall(ctx, id, "wrong photo", "test"); err != nil {
		t.Fatal(err)
	}
	absentFiles := files
	files = nil
	for _, f := range absentFiles {
		if res, _ := b.get(t, f); res.StatusCode != 404 {
			t.Errorf("recalled: %s is %d", f, res.StatusCode)
		}
	}
	if _, body := b.get(t, "/releases/with-photos"); strings.Contains(body, "<figure>") {
		t.Error("the withdrawal notice shows the photos")
	}
}

// A photo added to a published release changes its page at once, even
// for a reader holding its ETag.
func TestMediaAddedAfterPublishingChangeThePage(t *testing.T) {
	b := setup(t)
	id := b.publish(t, spec{slug: "published"})
	res, body := b.get(t, "/releases/published")
	wantStatus(t, res, body, 200)
	tag := res.Header.Get("ETag")
	if strings.Contains(body, "<figure>") {
		t.Fatal("a figure before any photo")
	}
	b.attach(t, id)
	res, body = b.get(t, "/releases/published", "If-None-Match: "+tag)
	wantStatus(t, res, body, 200)
	if !strings.Contains(body, "<figure>") || res.Header.Get("ETag") == tag {
		t.Errorf("after a photo was added: ETag %s (was %s), figure shown: %v", res.Header.Get("ETag"), tag, strings.Contains(body, "<figure>"))
	}
	// The texts in the page's language, whatever the browser prefers.
	_, body = b.get(t, "/releases/published?lang=en", "Accept-Language: ar")
	if !strings.Contains(body, `alt="Two officials sign a document at a table"`) {
		t.Error("English page without the English alt text")
	}
}

// The private preview shows the photos through its own token's
// addresses, until the lift.
func TestPreviewShowsMedia(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	until := t0.Add(time.Hour)
	id := b.create(t, spec{slug: "embargoed-photos", until: &until})
	if _, err := b.lc.Publish(ctx, id, "test", releases.PublishOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	photo, _ := b.attach(t, id)
	delivery := noticeTo(t, b, id, "mission.mr@example.org", "en")
	signer := links.NewSigner(secret)
	link := "/preview/" + signer.Token("preview", delivery, time.Time{})
	res, body := b.get(t, link)
	wantStatus(t, res, body, 200)
	src := regexp.MustCompile(`<img src="([^"]+)"`).FindStringSubmatch(body)
	if src == nil || src[1] != link+photo.Path("large") {
		t.Fatalf("preview image %v, want %s", src, link+photo.Path("large"))
	}
	res, body = b.get(t, src[1])
	wantStatus(t, res, body, 200)
	if res.Header.Get("Cache-Control") != "private, no-store" || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("preview file headers: %v", res.Header)
	}
	if strings.Contains(body, "og:image") {
		t.Error("the preview has public metadata")
	}
	// Another delivery's token, or another release's media: nothing.
	other := b.publish(t, spec{slug: "other"})
	p2, _ := b.attach(t, other)
	if res, _ := b.get(t, link+p2.Path("large")); res.StatusCode != 404 {
		t.Errorf("another release's photo through this preview: %d", res.StatusCode)
	}
	if res, _ := b.get(t, "/preview/"+signer.Token("preview", delivery+99, time.Time{})+photo.Path("large")); res.StatusCode != 404 {
		t.Errorf("another delivery's token: %d", res.StatusCode)
	}
	b.clk.set(until)
	if _, err := b.lc.LiftDue(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get(t, src[1]); res.StatusCode != 404 {
		t.Errorf("preview file after the lift: %d", res.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
