package process_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/blob/fs"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/signals"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// analyses keeps the latest analysis the processor gave each window, and
// passes everything on to the real index.
type analyses struct {
	*sqlite.Store
	latest map[string]*store.WindowAnalysis
}

func (a *analyses) ApplySessionUpdates(ctx context.Context, name string, upto int64, updates []store.SessionUpdate) error {
	for _, u := range updates {
		if u.Analysis != nil {
			a.latest[u.Window] = u.Analysis
		}
	}
	return a.Store.ApplySessionUpdates(ctx, name, upto, updates)
}

const t0 = 1795000000000

// batches of one window: a page, then three unanswered clicks on one spot
// and an error, spread over five batches.
var windowBatches = [][]string{
	{`{"type":4,"data":{"href":"https://shop.example/","width":1280,"height":800},"timestamp":0}`,
		`{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":10,"tagName":"button","attributes":{"id":"buy"},"childNodes":[{"type":3,"id":11,"textContent":"Buy"}]}]}]}]},"initialOffset":{"left":0,"top":0}},"timestamp":1}`},
	{`{"type":3,"data":{"source":2,"type":2,"id":11,"x":10,"y":10},"timestamp":1000}`},
	{`{"type":3,"data":{"source":2,"type":2,"id":11,"x":11,"y":10},"timestamp":1400}`},
	{`{"type":3,"data":{"source":2,"type":2,"id":10,"x":10,"y":12},"timestamp":1800}`},
	{`{"type":5,"data":{"tag":"playhead/error","payload":{"kind":"error","message":"boom"}},"timestamp":1900}`,
		`{"type":3,"data":{"source":1,"positions":[{"x":1,"y":1,"id":3,"timeOffset":0}]},"timestamp":9000}`},
}

func batchOf(seq int) *batch.Batch {
	// The timestamps above are from t0.
	var raw []map[string]any
	if err := json.Unmarshal([]byte("["+strings.Join(windowBatches[seq], ",")+"]"), &raw); err != nil {
		panic(err)
	}
	for _, e := range raw {
		e["timestamp"] = t0 + int64(e["timestamp"].(float64))
	}
	events, _ := json.Marshal(raw)
	hash := sha256.Sum256(events)
	return &batch.Batch{Project: 1, Session: "s", Window: "w", Seq: int64(seq), Received: time.UnixMilli(t0 + 10000),
		Events: batch.Compress(events), Hash: hash[:], Count: len(raw), First: t0, Last: t0 + 9000}
}

// wholeFold is the analysis of the window's events folded in one go.
func wholeFold(t *testing.T) string {
	w := signals.NewWindow("w", signals.DefaultConfig)
	for seq := range windowBatches {
		b, _ := batch.Decompress(batchOf(seq).Events)
		events, err := signals.ParseEvents(b)
		if err != nil {
			t.Fatal(err)
		}
		w.Feed(events)
	}
	out, _ := json.Marshal(w.Analysis())
	return string(out)
}

// However the batches of a window arrive — in order, out of order, with
// the processor restarted between them — its analysis is the fold of all
// of them in seq order.
func TestAnalysisFollowsSeqOrder(t *testing.T) {
	want := wholeFold(t)
	if !strings.Contains(want, `"rage_click"`) || !strings.Contains(want, `"error_click"`) {
		t.Fatalf("the window's fold lacks its signals: %s", want)
	}
	for _, tt := range []struct {
		name    string
		order   []int
		restart int  // restart the processor before this many batches are in, 0 for never
		compact bool // compact the window's batches (and drop them) before the restart
	}{
		{"in order", []int{0, 1, 2, 3, 4}, 0, false},
		{"out of order", []int{0, 2, 1, 4, 3}, 0, false},
		{"restarted midway", []int{0, 1, 2, 3, 4}, 3, false},
		{"out of order and restarted", []int{1, 0, 3, 2, 4}, 2, false},
		{"compacted, then restarted", []int{0, 1, 2, 3, 4}, 3, true},
		{"compacted out of order, then restarted", []int{1, 0, 3, 2, 4}, 4, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st, _ := shopStore(t, dir)
			index := &analyses{Store: st, latest: map[string]*store.WindowAnalysis{}}
			p := &process.Processor{Log: st, Index: index, Events: st}
			var upto int64
			for i, seq := range tt.order {
				if i == tt.restart && i > 0 {
					if tt.compact {
						compactAll(t, st, dir)
					}
					p = &process.Processor{Log: st, Index: index, Events: st}
				}
				if _, err := st.Append(ctx, batchOf(seq)); err != nil {
					t.Fatal(err)
				}
				var err error
				if upto, _, err = p.Step(ctx, upto); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := json.Marshal(index.latest["w"])
			if string(got) != want {
				t.Errorf("analysis\n got %s\nwant %s", got, want)
			}
		})
	}
}

// compactAll compacts every window the processor has applied, however
// recent, and drops the compacted batches' events at once.
func compactAll(t *testing.T, st *sqlite.Store, dir string) int {
	t.Helper()
	c := &process.Compactor{Log: st, Blobs: fs.New(filepath.Join(dir, sqlite.BlobDir)), Quiet: -1, Grace: -1}
	n, err := c.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("nothing was compacted")
	}
	return n
}

// An index rebuilt from a log whose window was compacted (the chunks hold
// batches the processor reaches only later) ends with the same analysis.
func TestAnalysisRebuiltFromChunks(t *testing.T) {
	want := wholeFold(t)
	ctx := context.Background()
	dir := t.TempDir()
	st, _ := shopStore(t, dir)
	for seq := range 4 {
		if _, err := st.Append(ctx, batchOf(seq)); err != nil {
			t.Fatal(err)
		}
	}
	p := &process.Processor{Log: st, Index: st, Events: st}
	upto, _, err := p.Step(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	compactAll(t, st, dir)
	if _, err := st.Append(ctx, batchOf(4)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Step(ctx, upto); err != nil {
		t.Fatal(err)
	}
	if err := st.ResetIndex(ctx); err != nil {
		t.Fatal(err)
	}
	index := &analyses{Store: st, latest: map[string]*store.WindowAnalysis{}}
	// One batch a step, so that the first folds the window from a chunk
	// that holds the next three.
	p = &process.Processor{Log: oneAtATime{st}, Index: index, Events: st}
	upto = 0
	for range 5 {
		if upto, _, err = p.Step(ctx, upto); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := json.Marshal(index.latest["w"])
	if string(got) != want {
		t.Errorf("analysis\n got %s\nwant %s", got, want)
	}
}

// oneAtATime reads the log one batch a step.
type oneAtATime struct{ *sqlite.Store }

func (l oneAtATime) BatchesAfter(ctx context.Context, after int64, _, maxBytes int) ([]batch.Header, error) {
	return l.Store.BatchesAfter(ctx, after, 1, maxBytes)
}
