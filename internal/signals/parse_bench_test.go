package signals

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/recordings"
)

// recordedBatches cuts the recordings' windows into batches of ten events,
// as the processor reads them from the log.
func recordedBatches(tb testing.TB) (batches [][]byte, size int64) {
	tb.Helper()
	all, err := recordings.All()
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range all {
		for _, w := range r.Windows {
			for i := 0; i < len(w.Events); i += 10 {
				raw, err := json.Marshal(w.Events[i:min(i+10, len(w.Events))])
				if err != nil {
					tb.Fatal(err)
				}
				batches = append(batches, raw)
				size += int64(len(raw))
			}
		}
	}
	return batches, size
}

// BenchmarkParseEvents is what reading a batch's events costs the
// processor's analysis: most of its time.
func BenchmarkParseEvents(b *testing.B) {
	batches, size := recordedBatches(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, raw := range batches {
			if _, err := ParseEvents(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The process's CPU time, which on a shared machine says more than
	// the wall clock: a benchmark that waits for a core is not slower.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
