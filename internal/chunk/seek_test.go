package chunk

import (
	"context"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/heaptest"
)

// BenchmarkSeekEnd reads a chunk near the end of a generated 180-minute
// window as a player seeking there makes the server read it: the last
// chunk that ends a run, the dearest to read with nothing of the window
// cached (every chunk before it in its run decoded for the dictionary),
// then the same chunk after a cached one (a player fetching chunk after
// chunk). It reports the time of each and the peak heap the
// cold read adds, with the collector running all the time (GOGC=2), so
// that the heap in use is what the read holds.
//
//	go test -run '^$' -bench SeekEnd -benchtime 3x ./internal/chunk
func BenchmarkSeekEnd(b *testing.B) {
	v := generate(b, 180, 180)
	stored, raw := v.stored()
	get := func(_ context.Context, ord int) ([]byte, error) { return stored[ord], nil }
	last := len(stored) - 1
	for last%Run != Run-1 {
		last--
	}
	ctx := context.Background()
	var cold, warm time.Duration
	var peak uint64
	for b.Loop() {
		stop := heaptest.Added(2 * time.Millisecond)
		r := NewReader(0)
		start := time.Now()
		if _, err := r.Chunk(ctx, "w", last, get); err != nil {
			b.Fatal(err)
		}
		cold += time.Since(start)
		peak = max(peak, stop())

		r = NewReader(0)
		if _, err := r.Chunk(ctx, "w", last-1, get); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := r.Chunk(ctx, "w", last, get); err != nil {
			b.Fatal(err)
		}
		warm += time.Since(start)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "ms-cold")
	b.ReportMetric(float64(warm.Microseconds())/1000/float64(b.N), "ms-next")
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-cold")
	b.ReportMetric(float64(len(stored)), "chunks")
	b.ReportMetric(float64(raw)/(1<<20), "MiB-largest-chunk")
}
