package contacts_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/communique/communique/contacts"
	"github.com/communique/communique/postgres/pgtest"
)

// generatedCSV is a contacts file of about size bytes made as it is read,
// so that the file itself takes no memory: good rows, or rows that are
// all refused (four bad addresses for one unknown country).
type generatedCSV struct {
	bad       bool
	size, n   int
	row       int
	pending   bytes.Buffer
	headerOut bool
}

func (g *generatedCSV) Read(p []byte) (int, error) {
	for g.pending.Len() < len(p) && g.n < g.size {
		before := g.pending.Len()
		switch {
		case !g.headerOut:
			g.pending.WriteString(header)
			g.headerOut = true
		case g.bad && g.row%5 == 4:
			fmt.Fprintf(&g.pending, "c%08d@example.org,Name %d,journalist,Outlet,XX,fr,,,,,,,\n", g.row, g.row)
		case g.bad:
			fmt.Fprintf(&g.pending, "not an address %08d,Name %d,journalist,Outlet,FR,fr,,,,,,,\n", g.row, g.row)
		default:
			fmt.Fprintf(&g.pending, "journalist%08d@example.org,Journalist %d,journalist,\"Outlet %d, Bureau\",MR,fr;en,Africa/Dakar,true,western-africa,MR;SN,migration-governance,+222 45 %06d,Correspondent\n",
				g.row, g.row, g.row%500, g.row%1000000)
		}
		g.row++
		g.n += g.pending.Len() - before
	}
	if g.pending.Len() == 0 {
		return 0, io.EOF
	}
	return g.pending.Read(p)
}

// peakRSS reads the process's peak resident set (VmHWM) in bytes.
func peakRSS(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) * 1024
		}
	}
	b.Skip("no VmHWM")
	return 0
}

// samplePeakHeap samples the heap's objects every millisecond until the
// returned function is called, which returns the largest seen.
func samplePeakHeap() func() float64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak)
	}
}

// BenchmarkImportMemory imports 100 MB of bad rows and 100 MB of good
// rows and reports the peak heap and peak RSS of the process during the
// import. Run it alone, one case per process, so that the peak RSS is the
// import's:
//
//	go test -run '^$' -bench 'ImportMemory/bad' -benchtime 1x -count 5 ./contacts/
func BenchmarkImportMemory(b *testing.B) {
	for _, bad := range []bool{true, false} {
		name := map[bool]string{true: "bad", false: "good"}[bad]
		b.Run(name, func(b *testing.B) {
			ctx, db := setup(b)
			for range b.N {
				b.StopTimer()
				pgtest.Exec(b, db, `TRUNCATE contacts, subscriptions CASCADE`)
				runtime.GC()
				debug.FreeOSMemory()
				// Writing 5 to clear_refs resets VmHWM to the current RSS.
				os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
				stop := samplePeakHeap()
				src := &generatedCSV{bad: bad, size: 100 << 20}
				b.StartTimer()
				res, err := contacts.Import(ctx, db, src, contacts.ImportOptions{})
				b.StopTimer()
				heap := stop()
				if res == nil || (bad && err == nil) || (!bad && err != nil) {
					b.Fatalf("import: %v", err)
				}
				b.ReportMetric(heap/(1<<20), "peak-heap-MiB")
				b.ReportMetric(peakRSS(b)/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(src.row-1), "rows")
				b.SetBytes(int64(src.n))
				b.StartTimer()
			}
		})
	}
}
