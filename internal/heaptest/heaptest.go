// Package heaptest measures, for benchmarks, the most heap a piece of work
// holds at once: runtime.MemStats sampled while it runs.
package heaptest

import (
	"runtime"
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
