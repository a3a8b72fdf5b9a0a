package process_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// busyWriter is the real log, whose writer says it has committed all the
// time since start: ingest in a burst that never ends.
type busyWriter struct {
	*sqlite.Store
	start time.Time
}

func (l busyWriter) WriteTime() time.Duration { return time.Since(l.start) }

// runBusy starts a processor on a log in a burst after n batches of as
// many windows, and waits until it has folded them: from then on it yields
// to the burst.
func runBusy(t *testing.T, n int, maxLag time.Duration) (*sqlite.Store, *process.Processor) {
	t.Helper()
	ctx := context.Background()
	st, _ := shopStore(t, t.TempDir())
	for i := range n {
		if _, err := st.Append(ctx, pageBatch(fmt.Sprint("w", i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	p := &process.Processor{Log: busyWriter{st, time.Now()}, Index: st, Events: st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BusyGather: 100 * time.Millisecond, MaxLag: maxLag}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(runCtx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitProcessed(t, st, int64(n))
	return st, p
}

func waitProcessed(t *testing.T, st *sqlite.Store, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		upto, err := st.Processed(context.Background(), process.Name)
		if err != nil {
			t.Fatal(err)
		}
		if upto >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index holds the log up to %d, want %d", upto, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A burst holds the processor back no longer than MaxLag.
func TestBurstYieldsUpToMaxLag(t *testing.T) {
	st, _ := runBusy(t, 100, time.Second)
	if _, err := st.Append(context.Background(), pageBatch("late", 0)); err != nil {
		t.Fatal(err)
	}
	waitProcessed(t, st, 101)
}

// An erasure waiting for the index does not wait for the burst to end.
func TestSettleCutsTheWaitShort(t *testing.T) {
	st, p := runBusy(t, 100, time.Hour)
	if _, err := st.Append(context.Background(), pageBatch("late", 0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Settle(ctx, time.Now()); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	upto, err := st.Processed(ctx, process.Name)
	if err != nil {
		t.Fatal(err)
	}
	if upto < 101 {
		t.Errorf("after Settle the index holds the log up to %d, want 101", upto)
	}
}
