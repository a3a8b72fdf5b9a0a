package sqlite

import (
	"context"
	"testing"
)

// BenchmarkApplySessionUpdates folds generated updates (each window's
// first with its analysis, then its second) into an index, in steps of
// 400 as the processor makes them, and reports the cost of one update.
func BenchmarkApplySessionUpdates(b *testing.B) {
	_, steps := genSessions(3, 5000)
	var n int
	for _, s := range steps {
		n += len(s)
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := buildIndex(b, b.TempDir(), nil)
		b.StartTimer()
		for i, step := range steps {
			if err := s.ApplySessionUpdates(ctx, "sessions", int64(i+1), step); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/update")
}
