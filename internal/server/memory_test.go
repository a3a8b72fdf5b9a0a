package server_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkHostileIngest sends the costliest bad input there is — gzip
// bombs that inflate past the JSON limit, and bodies of the largest size
// that do not parse — from 64 clients at once, and reports the peak heap.
// docs/api.md gives the ceiling it must stay under.
func BenchmarkHostileIngest(b *testing.B) {
	base, data := start(b)
	key := createProject(b, data)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	fmt.Fprintf(zw, `{"key":%q,"session":"s","window":"w","seq":0,"events":[`, key)
	zw.Write(bytes.Repeat([]byte(" "), 64<<20))
	zw.Close()
	junk := append([]byte(`{"key":"`+key+`","events":[`), bytes.Repeat([]byte("[1,"), (1<<20)/3-20)...)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				body, enc := junk, ""
				if next.Load()%2 == 0 {
					body, enc = bomb.Bytes(), "gzip"
				}
				req, _ := http.NewRequest("POST", base+"/api/v1/ingest", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if enc != "" {
					req.Header.Set("Content-Encoding", enc)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					b.Errorf("hostile body answered %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(stop)
	sampler.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
