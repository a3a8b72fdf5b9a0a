package sqlite

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
)

// BenchmarkAppend measures the durable log alone: 64 writers appending
// batches of 2 KB (what a 20 KB batch of rrweb JSON compresses to) to one
// store, each acknowledged after its group's fsync.
func BenchmarkAppend(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(context.Background(), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	blob := make([]byte, 2048)
	rand.Read(blob)
	var n atomic.Int64
	b.SetParallelism(32) // 64 writers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := n.Add(1)
		for seq := int64(0); pb.Next(); seq++ {
			_, err := s.Append(context.Background(), &batch.Batch{
				Project: p.ID, Session: fmt.Sprintf("session-%d-%d", w, seq/8), Window: "w", Seq: seq,
				Received: time.Now(), Events: blob, Count: 10, First: 1, Last: 2,
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
