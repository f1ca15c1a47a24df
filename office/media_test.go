package office

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/communique/communique/releases"
	"github.com/communique/communique/users"
)

func mediaPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 60, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// draftRelease creates a draft in French and English.
func (b *bundle) draftRelease(slug string) int64 {
	b.t.Helper()
	d := &releases.Draft{Release: releases.Release{Slug: slug, OriginalLanguage: "fr",
		Translations:  map[string]releases.Translation{"fr": {Title: "Titre"}, "en": {Title: "Title"}},
		Countries:     []string{"MR"},
		PressContacts: []string{"press@example.org"}}}
	id, err := (&releases.Lifecycle{DB: b.db}).Create(context.Background(), d, "user:po@example.org")
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// A press officer adds a photo and a document to a draft through the
// form, fixes a refused upload, writes the texts in both languages,
// reorders and deletes.
func TestMediaPageUploadsThroughTheForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	id := b.draftRelease("with-media")
	page := "/office/releases/" + strconvID(id) + "/media"
	br := b.browser()
	br.signIn("po@example.org", pw)

	wantStatus(t, "the release page", br.get("/office/releases/"+strconvID(id)), http.StatusOK, `href="`+page+`" id="release-media"`)
	wantStatus(t, "the page", br.get(page), http.StatusOK, `id="upload-form"`, `enctype="multipart/form-data"`,
		`name="caption.fr"`, `name="alt.en"`, `id="media-none"`, "up to 15 MiB and 40 megapixels")

	// A program disguised as a photo is refused, naming the field, and
	// the texts typed are kept.
	res := br.postFile(page, url.Values{"caption.fr": {"La signature"}}, "photo.jpg", append([]byte("MZ\x90\x00"), make([]byte, 64)...))
	wantStatus(t, "an exe", res, http.StatusUnprocessableEntity, `<a href="#file">File</a>`,
		"type application/x-msdownload is not allowed; photos may be JPEG", `value="La signature"`, `aria-invalid="true"`)
	res = br.postFile(page, url.Values{"alt.fr": {strings.Repeat("a", 501)}}, "photo.png", mediaPNG(t, 40, 30))
	wantStatus(t, "a long alt text", res, http.StatusUnprocessableEntity, `<a href="#up-alt-fr">Description for screen readers (`, "501 characters, at most 500")
	res = br.postFile(page, nil, "", nil)
	wantStatus(t, "no file", res, http.StatusUnprocessableEntity, "Choose a photo or a document.")
	if n := count(t, b.db, `SELECT (SELECT count(*) FROM media) + (SELECT count(*) FROM media_blobs)`); n != 0 {
		t.Fatalf("refused uploads left %d rows", n)
	}

	res = br.postFile(page, url.Values{"caption.fr": {"La signature"}, "alt.fr": {"Deux personnes signent"}, "credit.en": {"Photo: A. Diallo"}},
		"C:\\Users\\po\\Signing day.png", mediaPNG(t, 600, 300))
	if res.status != http.StatusSeeOther || res.location != page {
		t.Fatalf("upload: %d %s\n%s", res.status, res.location, res.body)
	}
	res = br.postFile(page, nil, "report.pdf", []byte("%PDF-1.7\n%%EOF\n"))
	if res.status != http.StatusSeeOther {
		t.Fatalf("upload a PDF: %d\n%s", res.status, res.body)
	}
	res = br.get(page)
	wantStatus(t, "after the uploads", res, http.StatusOK, "report.pdf is added.", "Signing-day.png", `value="Deux personnes signent"`,
		`value="Photo: A. Diallo"`, `alt="Deux personnes signent"`, `width="200" height="100"`)
	var photo, doc int64
	b.db.Get(&photo, `SELECT id FROM media WHERE filename = 'Signing-day.png'`)
	b.db.Get(&doc, `SELECT id FROM media WHERE filename = 'report.pdf'`)
	thumb := br.get(page + "/" + strconv.FormatInt(photo, 10) + "/small")
	if thumb.status != 200 || thumb.header.Get("Content-Type") != "image/jpeg" || thumb.header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("thumbnail: %d %v", thumb.status, thumb.header)
	}
	if !strings.Contains(res.body, `id="m`+strconv.FormatInt(photo, 10)+`-down"`) || strings.Contains(res.body, `id="m`+strconv.FormatInt(photo, 10)+`-up"`) {
		t.Error("the first item should move down only")
	}

	res = br.post(page+"/"+strconv.FormatInt(doc, 10)+"/move", url.Values{"to": {"up"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("move: %d\n%s", res.status, res.body)
	}
	if got := count(t, b.db, `SELECT position FROM media WHERE id = $1`, doc); got != 1 {
		t.Errorf("the document is at %d after moving up", got)
	}
	res = br.post(page+"/"+strconv.FormatInt(doc, 10), url.Values{"caption.fr": {"Le rapport"}, "caption.en": {"The report"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.status, res.body)
	}
	wantStatus(t, "after saving", br.get(page), http.StatusOK, "The texts of report.pdf are saved.", `value="Le rapport"`, `value="The report"`)
	res = br.post(page+"/"+strconv.FormatInt(doc, 10), url.Values{"credit.fr": {"a\x01b"}})
	wantStatus(t, "a control character", res, http.StatusUnprocessableEntity, `href="#m`+strconv.FormatInt(doc, 10)+`-credit-fr"`)

	res = br.post(page+"/"+strconv.FormatInt(photo, 10)+"/delete", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", res.status, res.body)
	}
	wantStatus(t, "after deleting", br.get(page), http.StatusOK, "Signing-day.png is deleted.")
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE release_id = $1 AND action LIKE 'media%' AND actor = 'user:po@example.org'`, id); n != 5 {
		t.Errorf("%d audit entries, want 5 (two uploads, a move, a save, a delete)", n)
	}
}

// Out of draft a press officer sees the media but may not change them;
// an editor may. The page reads whole in every language.
func TestMediaPageRights(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.importContacts()
	b.user("po@example.org", users.PressOfficer, pw)
	b.user("ed@example.org", users.Editor, pw)
	id, _ := b.publishedRelease("published-media")
	page := "/office/releases/" + strconvID(id) + "/media"
	po := b.browser()
	po.signIn("po@example.org", pw)
	res := po.get(page)
	wantStatus(t, "press officer", res, http.StatusOK, "Changing the media of this release needs the Editor role.")
	if strings.Contains(res.body, `id="upload-form"`) {
		t.Error("the upload form is shown to who may not upload")
	}
	res = po.postFile(page, nil, "a.png", mediaPNG(t, 10, 10))
	wantStatus(t, "press officer uploads", res, http.StatusForbidden, "This needs the Editor role")

	ed := b.browser()
	ed.signIn("ed@example.org", pw)
	wantStatus(t, "editor", ed.get(page), http.StatusOK, `id="upload-form"`, "shows on its public page at once")
	res = ed.postFile(page, nil, "a.png", mediaPNG(t, 10, 10))
	if res.status != http.StatusSeeOther {
		t.Fatalf("editor uploads: %d\n%s", res.status, res.body)
	}
	for _, lang := range []string{"en", "fr", "es", "ar"} {
		res := ed.get(page + "?lang=" + lang)
		if res.status != 200 || strings.Contains(res.body, "[missing text") || !strings.Contains(res.body, `<html lang="`+lang+`" dir="`+pageDir(lang)+`">`) {
			t.Errorf("%s: %d, missing text: %v", lang, res.status, strings.Contains(res.body, "[missing text"))
		}
	}
}
