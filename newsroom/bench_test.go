package newsroom_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// seedPublic stores n public releases in English and French straight in
// SQL: the life cycle would take minutes to publish them one by one.
func seedPublic(b *testing.B, nb *bundle, n int) {
	b.Helper()
	if _, err := nb.db.Exec(`
		INSERT INTO releases (slug, original_language, status, countries, topics, published_at, updated_at)
		SELECT 'release-' || i, 'en', 'published', '{MR}', '{health}', now() - i * interval '1 minute', now() - i * interval '1 minute'
		FROM generate_series(1, $1) AS i`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := nb.db.Exec(`
		INSERT INTO release_translations (release_id, language, title, summary, body)
		SELECT r.id, l, 'Title ' || r.slug || ' ' || l, 'A summary of a sentence or two about ' || r.slug,
			repeat('A paragraph of the release body, with **some** emphasis and a [link](https://www.example.org/). ', 30)
		FROM releases r CROSS JOIN unnest(ARRAY['en', 'fr']) AS l`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkNewsroom serves the home page, a release page and a feed with
// 1,000 public releases in the database, through a real HTTP server, from
// as many clients as GOMAXPROCS: go test -run '^$' -bench . ./newsroom/
func BenchmarkNewsroom(b *testing.B) {
	nb := newBundle(b)
	seedPublic(b, nb, 1000)
	serveParallel(b, nb, "/", "/?topic=health&page=3", "/releases/release-500?lang=fr", "/feeds/en.atom", "/sitemap.xml")
}

// serveParallel asks for each path through a real HTTP server, from four
// clients per GOMAXPROCS, and reports requests per second; any answer
// but 200 fails the benchmark.
func serveParallel(b *testing.B, nb *bundle, paths ...string) {
	srv := httptest.NewServer(nb.h)
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(srv.URL + path)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("%s: %d", path, res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
