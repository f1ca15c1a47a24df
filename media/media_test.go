package media_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/communique/communique"
	"github.com/communique/communique/media"
	"github.com/communique/communique/postgres/pgtest"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/taxonomy"
)

type bundle struct {
	db  *sqlx.DB
	lib *media.Library
	rel int64
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	if err := taxonomy.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, db, `INSERT INTO contacts (email, kind) VALUES ('press@example.org', 'press_officer')`)
	id, err := releases.Create(ctx, db, &releases.Release{Slug: "with-photos", OriginalLanguage: "en",
		Translations: map[string]releases.Translation{"en": {Title: "With photos"}},
		Countries:    []string{"MR"}, PressContacts: []string{"press@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{db: db, lib: media.New(db, nil, nil), rel: id}
}

// photo encodes a w × h image in format ("png", "jpeg", "gif"), opaque
// unless alpha.
func photo(t testing.TB, format string, w, h int, alpha bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 80
			}
			i := img.PixOffset(x, y) // faster than Set under the race detector
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x), uint8(y), 120, a
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is the start of a PNG claiming w × h pixels: a valid
// signature and IHDR chunk, and no image data.
func pngHeader(w, h uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, w)
	binary.Write(&ihdr, binary.BigEndian, h)
	ihdr.Write([]byte{8, 6, 0, 0, 0})
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&out, binary.BigEndian, uint32(13))
	out.Write(ihdr.Bytes())
	binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return out.Bytes()
}

func archive(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const pdf = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

func (b *bundle) add(t *testing.T, name string, data []byte) (*media.Media, error) {
	t.Helper()
	return b.lib.Add(context.Background(), media.Upload{ReleaseID: b.rel, Filename: name, Data: bytes.NewReader(data),
		Texts: media.Texts{"en": {Caption: "A caption", Credit: "Photo: A. Person", Alt: "A description"}}, Actor: "test"})
}

// wantRefused checks that err is a refusal whose first detail contains want,
// and that nothing was written.
func (b *bundle) wantRefused(t *testing.T, err error, want string) {
	t.Helper()
	if communique.ErrorCode(err) != communique.EINVALID {
		t.Fatalf("error %v (code %q), want invalid", err, communique.ErrorCode(err))
	}
	if d := communique.ErrorDetails(err); len(d) == 0 || !strings.Contains(d[0], want) || !strings.HasPrefix(d[0], "file: ") {
		t.Errorf("details %q, want the file named and %q", d, want)
	}
	b.wantEmpty(t)
}

func (b *bundle) wantEmpty(t *testing.T) {
	t.Helper()
	var n struct {
		Media int `db:"media"`
		Blobs int `db:"blobs"`
		Audit int `db:"audit"`
	}
	if err := b.db.Get(&n, `SELECT (SELECT count(*) FROM media) AS media, (SELECT count(*) FROM media_blobs) AS blobs,
		(SELECT count(*) FROM audit_log WHERE action LIKE 'media%') AS audit`); err != nil {
		t.Fatal(err)
	}
	if n.Media+n.Blobs+n.Audit != 0 {
		t.Errorf("left behind: %+v", n)
	}
}

func TestMediaTypesAreSniffed(t *testing.T) {
	b := setup(t)
	ok := []struct {
		name, file string
		data       []byte
		kind, ct   string
	}{
		{"png", "Photo of the signing.PNG", photo(t, "png", 20, 10, false), media.KindImage, "image/png"},
		{"jpeg named png", "../../etc/passwd.png", photo(t, "jpeg", 20, 10, false), media.KindImage, "image/jpeg"},
		{"gif", "logo.gif", photo(t, "gif", 20, 10, false), media.KindImage, "image/gif"},
		// A 1 × 1 transparent lossless WebP.
		{"webp", "dot.webp", []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"),
			media.KindImage, "image/webp"},
		{"pdf", "Communiqué final.pdf", []byte(pdf), media.KindDocument, "application/pdf"},
		{"docx", "note.docx", archive(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}),
			media.KindDocument, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"odt", "note.odt", archive(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
			media.KindDocument, "application/vnd.oasis.opendocument.text"},
	}
	names := map[string]string{}
	for _, c := range ok {
		m, err := b.add(t, c.file, c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.Kind != c.kind || m.ContentType != c.ct {
			t.Errorf("%s: kind %s, type %s, want %s, %s", c.name, m.Kind, m.ContentType, c.kind, c.ct)
		}
		names[c.name] = m.Filename
	}
	for name, want := range map[string]string{"png": "Photo-of-the-signing.png", "jpeg named png": "passwd.jpg", "pdf": "Communiqué-final.pdf"} {
		if names[name] != want {
			t.Errorf("%s: kept as %q, want %q", name, names[name], want)
		}
	}

}

func TestMediaBadFilesAreRefused(t *testing.T) {
	c := setup(t)
	refused := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file: empty"},
		{"exe named jpg", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...), "type application/x-msdownload is not allowed; photos may be JPEG"},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "type text/html is not allowed"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "is not allowed"},
		{"truncated pdf", []byte("%PDF-1.4\n1 0 obj << >>"), "the PDF is incomplete"},
		{"plain zip", archive(t, map[string]string{"a.txt": "hello"}), "type application/zip is not allowed"},
		{"docm", archive(t, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>", "word/vbaProject.bin": "x"}), "macros"},
		{"truncated png", photo(t, "png", 40, 40, false)[:60], "the png image cannot be read"},
	}
	for _, r := range refused {
		_, err := c.add(t, r.name, r.data)
		if err == nil {
			t.Errorf("%s: accepted", r.name)
			continue
		}
		c.wantRefused(t, err, r.want)
	}
}

func TestMediaLimits(t *testing.T) {
	b := setup(t)
	big := append([]byte("\xff\xd8\xff\xe0"), make([]byte, media.MaxImageBytes)...)
	_, err := b.add(t, "big.jpg", big)
	b.wantRefused(t, err, "more than the 15 MiB allowed for photos")

	doc := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), media.MaxDocumentBytes)...)
	doc = append(doc, "\n%%EOF\n"...)
	_, err = b.add(t, "big.pdf", doc)
	b.wantRefused(t, err, "more than the 25 MiB allowed for documents (15 MiB for photos)")

	// A PNG declaring 50 000 × 50 000 pixels would take 10 GB decoded:
	// its header alone refuses it.
	_, err = b.add(t, "bomb.png", pngHeader(50_000, 50_000))
	b.wantRefused(t, err, "50000 × 50000 pixels is more than the 40 megapixels allowed")

	_, err = b.lib.Add(context.Background(), media.Upload{ReleaseID: b.rel, Filename: "x.png", Data: bytes.NewReader(photo(t, "png", 4, 4, false)),
		Texts: media.Texts{"not a tag!": {Caption: "x"}, "fr": {Alt: strings.Repeat("é", 501), Credit: "a\x00b"}}})
	if d := communique.ErrorDetails(err); len(d) != 3 || !strings.Contains(strings.Join(d, "|"), "alt.fr: 501 characters, at most 500") ||
		!strings.Contains(strings.Join(d, "|"), "credit.fr: control characters") || !strings.Contains(strings.Join(d, "|"), `"not a tag!" is not a language tag`) {
		t.Errorf("bad texts: %v", err)
	}
	b.wantEmpty(t)
}

func TestMediaRenditions(t *testing.T) {
	b := setup(t)
	cases := []struct {
		name      string
		data      []byte
		renditons []media.Rendition
	}{
		{"wide photo", photo(t, "jpeg", 1700, 850, false), []media.Rendition{
			{Name: "small", ContentType: "image/jpeg", Width: 400, Height: 200},
			{Name: "large", ContentType: "image/jpeg", Width: 1600, Height: 800}}},
		{"medium photo", photo(t, "png", 800, 601, false), []media.Rendition{
			{Name: "small", ContentType: "image/jpeg", Width: 400, Height: 300},
			{Name: "large", ContentType: "image/jpeg", Width: 800, Height: 601}}},
		{"small photo", photo(t, "png", 300, 200, false), []media.Rendition{
			{Name: "small", ContentType: "image/jpeg", Width: 300, Height: 200}}},
		{"transparent logo", photo(t, "png", 500, 100, true), []media.Rendition{
			{Name: "small", ContentType: "image/png", Width: 400, Height: 80},
			{Name: "large", ContentType: "image/png", Width: 500, Height: 100}}},
	}
	ctx := context.Background()
	for _, c := range cases {
		m, err := b.add(t, c.name, c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(m.Renditions) != len(c.renditons) {
			t.Fatalf("%s: renditions %+v", c.name, m.Renditions)
		}
		for i, want := range c.renditons {
			got := m.Renditions[i]
			if got.Name != want.Name || got.ContentType != want.ContentType || got.Width != want.Width || got.Height != want.Height {
				t.Errorf("%s: rendition %+v, want %+v", c.name, got, want)
			}
			rc, err := b.lib.Open(ctx, m.ID, got.Name)
			if err != nil {
				t.Fatal(err)
			}
			cfg, format, err := image.DecodeConfig(rc)
			rc.Close()
			if err != nil || cfg.Width != want.Width || cfg.Height != want.Height || "image/"+format != want.ContentType {
				t.Errorf("%s: stored %s is %s %d × %d (%v)", c.name, got.Name, format, cfg.Width, cfg.Height, err)
			}
		}
		rc, err := b.lib.Open(ctx, m.ID, media.RenditionOriginal)
		if err != nil {
			t.Fatal(err)
		}
		orig, _ := io.ReadAll(rc)
		if !bytes.Equal(orig, c.data) {
			t.Errorf("%s: the original is not kept as sent", c.name)
		}
	}
}

// failingStore fails its nth Put, after writing to the store it wraps.
type failingStore struct {
	media.Store
	n, puts int
}

func (s *failingStore) Put(ctx context.Context, tx *sqlx.Tx, key string, r io.Reader) error {
	s.puts++
	if s.puts == s.n {
		return errors.New("disk full")
	}
	return s.Store.Put(ctx, tx, key, r)
}

func TestMediaUploadIsAllOrNothing(t *testing.T) {
	b := setup(t)
	data := photo(t, "jpeg", 600, 300, false)
	for n := 1; n <= 3; n++ {
		b.lib.Store = &failingStore{Store: &media.PostgresStore{DB: b.db}, n: n}
		if _, err := b.add(t, "photo.jpg", data); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("put %d failing: %v", n, err)
		}
		b.wantEmpty(t)
	}

	// A store outside the database has its files removed.
	dir := t.TempDir()
	b.lib.Store = &failingStore{Store: &media.DirStore{Root: dir}, n: 3}
	if _, err := b.add(t, "photo.jpg", data); err == nil {
		t.Fatal("accepted")
	}
	b.wantEmpty(t)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	b.lib.Store = &media.DirStore{Root: dir}
	m, err := b.add(t, "photo.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "media", itoa(m.ID), "large")); err != nil {
		t.Error(err)
	}
	if err := b.lib.Delete(context.Background(), b.rel, m.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "media", itoa(m.ID), "large")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after delete: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPostgresStoreReadsInChunks(t *testing.T) {
	b := setup(t)
	s := &media.PostgresStore{DB: b.db}
	ctx := context.Background()
	data := make([]byte, 2<<20+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := s.Put(ctx, nil, "media/1/original", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(ctx, "media/1/original")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(data))
	}
	if _, err := s.Get(ctx, "media/2/original"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if err := (&media.DirStore{Root: t.TempDir()}).Put(ctx, nil, "../escape", bytes.NewReader(data)); err == nil {
		t.Error("a key leaving the directory was accepted")
	}
}

func TestMediaEditOrderAndDelete(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	var draftUpdated time.Time
	b.db.Get(&draftUpdated, `SELECT updated_at FROM releases WHERE id = $1`, b.rel)
	var ids []int64
	for _, name := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		m, err := b.add(t, name, []byte(pdf))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	order := func() string {
		ms, err := media.List(ctx, b.db, b.rel)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, m := range ms {
			s = append(s, strings.TrimSuffix(m.Filename, ".pdf")+strconv.Itoa(m.Position))
		}
		return strings.Join(s, " ")
	}
	// The editor holds a draft's updated_at as the version it opened.
	var after time.Time
	b.db.Get(&after, `SELECT updated_at FROM releases WHERE id = $1`, b.rel)
	if !after.Equal(draftUpdated) {
		t.Errorf("a draft's updated_at moved from %s to %s", draftUpdated, after)
	}
	three := 3
	if _, err := b.lib.Update(ctx, b.rel, ids[0], media.Change{Position: &three}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "b1 c2 a3" {
		t.Errorf("moved last: %s", got)
	}
	m, err := b.lib.Update(ctx, b.rel, ids[1], media.Change{Texts: media.Texts{"fr": {Caption: " Légende "}, "en": {}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Texts) != 1 || m.Texts["fr"].Caption != "Légende" {
		t.Errorf("texts after edit: %+v", m.Texts)
	}
	if err := b.lib.Delete(ctx, b.rel, ids[2], "test"); err != nil {
		t.Fatal(err)
	}
	if got := order(); got != "b1 a2" {
		t.Errorf("after delete: %s", got)
	}
	if err := b.lib.Delete(ctx, b.rel+1, ids[1], "test"); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("another release's media: %v", err)
	}
	zero := 0
	if _, err := b.lib.Update(ctx, b.rel, ids[1], media.Change{Position: &zero}, "test"); communique.ErrorCode(err) != communique.EINVALID {
		t.Errorf("position 0: %v", err)
	}

	// A cleared draft whose media change is no longer cleared.
	pgtest.Exec(t, b.db, `UPDATE releases SET clearance = 'cleared', clearance_by = 'user:editor@example.org' WHERE id = $1`, b.rel)
	if _, err := b.add(t, "d.pdf", []byte(pdf)); err != nil {
		t.Fatal(err)
	}
	var clearance string
	b.db.Get(&clearance, `SELECT clearance FROM releases WHERE id = $1`, b.rel)
	if clearance != "none" {
		t.Errorf("clearance after a media change: %s", clearance)
	}

	// Deleting a draft deletes its media and their files.
	if err := (&releases.Lifecycle{DB: b.db}).Delete(ctx, b.rel, "test"); err != nil {
		t.Fatal(err)
	}
	var n int
	b.db.Get(&n, `SELECT (SELECT count(*) FROM media) + (SELECT count(*) FROM media_blobs)`)
	if n != 0 {
		t.Errorf("%d media rows and files outlive their release", n)
	}
}

func TestMediaOfARecalledReleaseDoNotChange(t *testing.T) {
	b := setup(t)
	pgtest.Exec(t, b.db, `UPDATE releases SET status = 'recalled', published_at = now() WHERE id = $1`, b.rel)
	_, err := b.add(t, "a.pdf", []byte(pdf))
	if communique.ErrorCode(err) != communique.ECONFLICT {
		t.Errorf("upload to a recalled release: %v", err)
	}
	b.wantEmpty(t)
}

func TestTextsPickTheLanguageAsked(t *testing.T) {
	texts := media.Texts{"fr": {Caption: "Le port"}, "ar": {Caption: "الميناء"}, "es": {Caption: "El puerto"}}
	for _, c := range []struct{ lang, fallback, want string }{
		{"fr", "es", "fr"},
		{"en", "es", "es"},
		{"en", "de", "ar"}, // neither: the first in order
	} {
		if got := texts.Lang(c.lang, c.fallback); got != c.want {
			t.Errorf("Lang(%q, %q) = %q, want %q", c.lang, c.fallback, got, c.want)
		}
		if got := texts.In(c.lang, c.fallback); got != texts[c.want] {
			t.Errorf("In(%q, %q) = %+v, want the %s text", c.lang, c.fallback, got, c.want)
		}
	}
	if got := (media.Texts{}).Lang("en", "fr"); got != "" {
		t.Errorf("no texts: Lang = %q, want none", got)
	}
	if got := (media.Texts{}).In("en", "fr"); got != (media.Text{}) {
		t.Errorf("no texts: In = %+v, want none", got)
	}
}
