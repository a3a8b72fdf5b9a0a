package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/heaptest"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store/sqlite"
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

	peak := heaptest.SamplePeak(5 * time.Millisecond)
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
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// Memory ceilings that docs/api.md states.
const (
	ingestCeiling  = 800 << 20 // the ingest path, whatever it is sent
	rebuildCeiling = 512 << 20 // rebuilding the sessions index from the log
)

// BenchmarkHostileAccepted sends batches that are valid and accepted but
// as costly as the limits allow — the most events, the most page views,
// each with a URL far over its limit, a User-Agent near the header limit,
// a new session every few batches — from 64 clients at once. Then it stops
// the server, deletes the sessions index and starts it again, so that the
// processor rebuilds the index from those batches. Both peaks of the heap
// must stay under the ceilings in docs/api.md. One round stores 1000
// batches: two full steps of the processor.
func BenchmarkHostileAccepted(b *testing.B) {
	const (
		clients = 64
		batches = 1000
		hrefLen = 100_000
	)
	lim := ingest.DefaultLimits
	now := time.Now().UnixMilli()
	// The events, shared by every batch: one gzip member that the
	// envelope's own member is put in front of (gzip allows several
	// members in one body, and ingest reads them as one stream).
	var events bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&events, gzip.BestCompression)
	zw.Write([]byte(`[`))
	href := "https://shop.example/" + strings.Repeat("a", hrefLen)
	for i := range lim.MaxEvents {
		if i > 0 {
			zw.Write([]byte(","))
		}
		if i < lim.MaxPageViews {
			fmt.Fprintf(zw, `{"type":4,"data":{"href":"%s","width":1280,"height":720},"timestamp":%d}`, href, now+int64(i))
		} else {
			fmt.Fprintf(zw, `{"type":3,"data":{"source":1,"positions":[{"x":%d,"y":1,"id":4,"timeOffset":0}]},"timestamp":%d}`, i, now+int64(i))
		}
	}
	zw.Write([]byte(`]}`))
	zw.Close()
	if events.Len() > int(lim.MaxBody)/2 {
		b.Fatalf("the shared events are %d bytes gzipped", events.Len())
	}
	agent := "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 " + strings.Repeat("A", 15_000)

	var ingestPeak, rebuildPeak uint64
	for b.Loop() {
		data := b.TempDir()
		cfg := server.DefaultConfig()
		cfg.Addr, cfg.Data = "127.0.0.1:0", data
		cfg.Ingest.RateClient = ingest.Rate{} // one address stands for 64 clients
		key := createProject(b, data)

		base, stop := runServer(b, cfg)
		peak := heaptest.SamplePeak(5 * time.Millisecond)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		var next, busy atomic.Int64
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for k := next.Add(1) - 1; k < batches; k = next.Add(1) - 1 {
					var body bytes.Buffer
					zw := gzip.NewWriter(&body)
					fmt.Fprintf(zw, `{"key":%q,"session":"s%d","window":"w%d","seq":%d,"events":`, key, k/4, k%2, k)
					zw.Close()
					body.Write(events.Bytes())
					for {
						req, _ := http.NewRequest("POST", base+"/api/v1/ingest", bytes.NewReader(body.Bytes()))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Content-Encoding", "gzip")
						req.Header.Set("User-Agent", agent)
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						out, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusServiceUnavailable { // the commit queue is full
							busy.Add(1)
							time.Sleep(50 * time.Millisecond)
							continue
						}
						if resp.StatusCode != http.StatusAccepted {
							b.Errorf("batch %d answered %d %s", k, resp.StatusCode, out)
							return
						}
						break
					}
				}
			})
		}
		wg.Wait()
		client.CloseIdleConnections()
		ingestPeak = max(ingestPeak, peak())
		stop()
		if b.Failed() {
			return
		}

		for _, f := range []string{sqlite.IndexFileName, sqlite.IndexFileName + "-wal", sqlite.IndexFileName + "-shm"} {
			if err := os.Remove(filepath.Join(data, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Fatal(err)
			}
		}
		runtime.GC()
		peak = heaptest.SamplePeak(5 * time.Millisecond)
		_, stop = runServer(b, cfg)
		waitIndexed(b, data, batches)
		rebuildPeak = max(rebuildPeak, peak())
		stop()
		b.ReportMetric(float64(busy.Load()), "busy-answers")
	}
	b.ReportMetric(float64(ingestPeak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rebuildPeak)/(1<<20), "rebuild-peak-heap-MiB")
	if ingestPeak > ingestCeiling {
		b.Fatalf("ingest peak heap %d MiB, over the ceiling of %d MiB", ingestPeak>>20, ingestCeiling>>20)
	}
	if rebuildPeak > rebuildCeiling {
		b.Fatalf("rebuild peak heap %d MiB, over the ceiling of %d MiB", rebuildPeak>>20, rebuildCeiling>>20)
	}
}

// runServer runs a server on cfg until stop is called.
func runServer(b testing.TB, cfg server.Config) (base string, stop func()) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- server.Run(ctx, cfg, logger, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		b.Fatalf("server did not start: %v", err)
	}
	return base, func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("shutdown: %v", err)
		}
	}
}

// waitIndexed waits until the processor has folded n batches into the
// sessions index.
func waitIndexed(b *testing.B, data string, n int64) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		stats, err := st.LogStats(context.Background(), process.Name)
		if err != nil {
			b.Fatal(err)
		}
		if stats.Batches != n {
			b.Fatalf("the log holds %d batches, want %d", stats.Batches, n)
		}
		if stats.ProcessedCount == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("index rebuilt up to %d of %d batches in 5 minutes", stats.ProcessedCount, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
