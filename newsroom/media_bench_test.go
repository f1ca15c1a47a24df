package newsroom_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/communique/communique/media"
)

// BenchmarkNewsroomMedia serves a release page with a photo and the
// photo's small rendition, among 1,000 public releases with two media
// each: go test -run '^$' -bench NewsroomMedia ./newsroom/
func BenchmarkNewsroomMedia(b *testing.B) {
	nb := newBundle(b)
	seedPublic(b, nb, 1000)
	if _, err := nb.db.Exec(`
		INSERT INTO media (release_id, position, kind, content_type, size, sha256, filename, created_by)
		SELECT r.id, p, 'document', 'application/pdf', 1000, 'x', 'doc.pdf', 'bench'
		FROM releases r CROSS JOIN generate_series(1, 2) AS p WHERE r.slug <> 'release-500'`); err != nil {
		b.Fatal(err)
	}
	var id int64
	if err := nb.db.Get(&id, `SELECT id FROM releases WHERE slug = 'release-500'`); err != nil {
		b.Fatal(err)
	}
	m, err := media.New(nb.db, nil, nil).Add(context.Background(), media.Upload{ReleaseID: id, Filename: "photo.jpg",
		Data: bytes.NewReader(testJPEG(b, 2400, 1600)), Texts: media.Texts{"en": {Caption: "A caption", Alt: "A photo"}}, Actor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	serveParallel(b, nb, "/", "/releases/release-500?lang=en", "/releases/release-400?lang=en", m.Path(media.RenditionSmall), m.Path(media.RenditionLarge))
}
