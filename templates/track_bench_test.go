package templates_test

import (
	"io"
	"testing"

	"github.com/communique/communique/links"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/tracking"
)

// BenchmarkTrackedMessage is BenchmarkMessage's lean public message with
// opens and clicks tracked as the dispatcher tracks them (a signed token
// per pixel and per link target and recipient), against the same message
// untracked (Track nil) and tracking nothing (Track set, both off):
//
//	go test ./templates/ -run '^$' -bench TrackedMessage -benchmem -cpu 1
func BenchmarkTrackedMessage(b *testing.B) {
	signer := links.NewSigner("a secret for the benchmark, 32 bytes")
	const base = "https://news.example.org"
	for _, c := range []struct {
		name          string
		track         bool
		opens, clicks bool
	}{
		{"off", false, false, false},
		{"nothing", true, false, false},
		{"opens", true, true, false},
		{"clicks", true, false, true},
		{"both", true, true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, rs := benchSetup(b, templates.VariantPublic, "fr")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := &rs[i%len(rs)]
				rc := r.rc
				if c.track {
					id := int64(i + 1)
					rc.Track = &templates.Tracking{}
					if c.opens {
						rc.Track.Pixel = tracking.OpenURL(base, signer, id)
					}
					if c.clicks {
						rc.Track.Click = func(target string) string { return tracking.ClickURL(base, signer, id, target) }
					}
				}
				if err := p.WriteMessage(io.Discard, r.headers, rc); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportRate(b)
		})
	}
}
