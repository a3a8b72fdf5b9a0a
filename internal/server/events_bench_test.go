package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/heaptest"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/synth"
)

// eventsCeiling is the most heap one events request may take on top of
// what the server held before it, whatever the session's length
// (docs/api.md).
const eventsCeiling = 32 << 20

// BenchmarkSessionEvents serves the whole events of generated sessions of
// 1, 60 and 180 minutes, compacted into chunks, and reports the peak heap
// each request adds, with the collector running all the time (GOGC=2) so
// that the heap in use is what the request holds: it must not grow with
// the session. With the default GOGC the heap peaks higher, at the
// collector's goal, which follows what is live.
//
//	go test -run '^$' -bench SessionEvents -benchtime 3x ./internal/server
func BenchmarkSessionEvents(b *testing.B) {
	// Live sessions are compacted a few pages at a time, the rest once
	// they have been quiet for 5 s. servertest's server, so that reading
	// the chunk index has a token.
	base, data := servertest.Start(b, func(cfg *server.Config) {
		cfg.Ingest.RateClient.Per = 0
		cfg.CompactQuiet, cfg.CompactEvery = 5*time.Second, 200*time.Millisecond
	})
	project := newProject(b, data)
	lengths := []int{1, 60, 180}
	for _, minutes := range lengths {
		id := fmt.Sprintf("s%d", minutes)
		if _, err := synth.Send(context.Background(), http.DefaultClient, base, project.Key, id, uint64(minutes), minutes, 1795000000000); err != nil {
			b.Fatal(err)
		}
		servertest.WaitCompacted(b, sessionURL(base, project.ID, id))
	}
	peaks := map[int]uint64{}
	sizes := map[int]int64{}
	for b.Loop() {
		for _, minutes := range lengths {
			peak := heaptest.Added(5 * time.Millisecond)
			req, _ := http.NewRequest("GET", sessionURL(base, project.ID, fmt.Sprintf("s%d", minutes))+"/events", nil)
			req.Header.Set("Accept-Encoding", "identity")
			req.Header.Set("Authorization", "Bearer "+servertest.Token(base))
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("events of %d minutes: %d %v", minutes, resp.StatusCode, err)
			}
			peaks[minutes] = max(peaks[minutes], peak())
			sizes[minutes] = n
		}
	}
	for _, minutes := range lengths {
		b.ReportMetric(float64(peaks[minutes])/(1<<20), fmt.Sprintf("MiB-heap-%dmin", minutes))
		b.ReportMetric(float64(sizes[minutes])/(1<<20), fmt.Sprintf("MiB-answer-%dmin", minutes))
		if peaks[minutes] > eventsCeiling {
			b.Errorf("serving %d minutes took %d MiB of heap, over the ceiling of %d MiB", minutes, peaks[minutes]>>20, eventsCeiling>>20)
		}
	}
}
