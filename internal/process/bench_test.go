package process_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/recordings"
)

// BenchmarkStep measures how many batches a second the processor folds
// into the index, with and without reading their events into the
// windows' analyses. The batches are the recordings' windows cut into
// batches of ten events, many sessions of each, as a busy site sends them.
func BenchmarkStep(b *testing.B) {
	for _, analyse := range []bool{false, true} {
		b.Run(fmt.Sprintf("analyse=%v", analyse), func(b *testing.B) {
			ctx := context.Background()
			st, p := shopStore(b, b.TempDir())
			batches := recordedBatches(b, p.ID, 2000)
			var raw int64
			for _, bt := range batches {
				if _, err := st.Append(ctx, bt); err != nil {
					b.Fatal(err)
				}
				raw += int64(bt.Count)
			}
			b.ResetTimer()
			for range b.N {
				if err := st.ResetIndex(ctx); err != nil {
					b.Fatal(err)
				}
				proc := &process.Processor{Log: st, Index: st}
				if analyse {
					proc.Events = st
				}
				var upto int64
				for {
					next, n, err := proc.Step(ctx, upto)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						break
					}
					upto = next
				}
			}
			b.ReportMetric(float64(len(batches)*b.N)/b.Elapsed().Seconds(), "batches/s")
		})
	}
}

// recordedBatches cuts the recordings into at least n batches of ten
// events, a session per copy of a recording.
func recordedBatches(b *testing.B, project int64, n int) []*batch.Batch {
	all, err := recordings.All()
	if err != nil {
		b.Fatal(err)
	}
	var out []*batch.Batch
	for copy := 0; len(out) < n; copy++ {
		for _, rec := range all {
			for _, w := range rec.Windows {
				for seq, i := 0, 0; i < len(w.Events); seq, i = seq+1, i+10 {
					events := w.Events[i:min(i+10, len(w.Events))]
					raw, _ := json.Marshal(events)
					first, last := recordings.Timestamp(events[0]), recordings.Timestamp(events[len(events)-1])
					hash := sha256.Sum256(raw)
					out = append(out, &batch.Batch{Project: project, Session: fmt.Sprintf("%s-%d", rec.Name, copy),
						Window: w.ID, Seq: int64(seq), Received: time.UnixMilli(last), Events: batch.Compress(raw),
						Hash: hash[:], Count: len(events), First: first, Last: last})
				}
			}
		}
	}
	return out
}
