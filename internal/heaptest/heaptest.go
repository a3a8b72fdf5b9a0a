// Package heaptest measures, for benchmarks, the most heap a piece of work
// holds at once: runtime.MemStats sampled while it runs.
package heaptest

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// SamplePeak samples the heap in use every interval until the returned
// function is called, which gives the largest sample.
func SamplePeak(every time.Duration) (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(every):
			}
		}
	})
	return func() uint64 {
		close(done)
		sampler.Wait()
		return peak.Load()
	}
}

// Added measures what a piece of work adds to the heap at its largest:
// it collects all the time (GOGC=2) until the returned function is
// called, so that the heap in use is what the work holds, and samples it
// every interval. The returned function restores the collector's setting
// and gives the peak less the heap in use before.
func Added(every time.Duration) (stop func() uint64) {
	gc := debug.SetGCPercent(2)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.HeapInuse
	peak := SamplePeak(every)
	return func() uint64 {
		p := peak()
		debug.SetGCPercent(gc)
		return max(p, before) - before
	}
}
