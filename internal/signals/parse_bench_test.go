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

// BenchmarkFeed is what the detectors cost the processor's analysis: the
// recordings' windows, read beforehand, each folded into a new Window in
// batches of ten events.
func BenchmarkFeed(b *testing.B) {
	all, err := recordings.All()
	if err != nil {
		b.Fatal(err)
	}
	var windows [][][]Event
	for _, r := range all {
		for _, w := range r.Windows {
			var batches [][]Event
			for i := 0; i < len(w.Events); i += 10 {
				raw, err := json.Marshal(w.Events[i:min(i+10, len(w.Events))])
				if err != nil {
					b.Fatal(err)
				}
				events, err := ParseEvents(raw)
				if err != nil {
					b.Fatal(err)
				}
				batches = append(batches, events)
			}
			windows = append(windows, batches)
		}
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, batches := range windows {
			w := NewWindow("w", DefaultConfig)
			for _, events := range batches {
				w.Feed(events)
			}
			w.Analysis()
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
