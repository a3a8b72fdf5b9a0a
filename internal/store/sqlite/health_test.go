package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
)

// syncBuffer is a log destination the writer goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestWriterRecoversFromFullDatabase fills the log's database up to a
// page limit (SQLite answers SQLITE_FULL as on a full disk), checks that
// the failure is store.ErrUnavailable with reason disk_full and logged
// once, then lifts the limit and checks that the writer commits again
// by itself and that exactly the acknowledged batches are stored.
func TestWriterRecoversFromFullDatabase(t *testing.T) {
	s := open(t)
	var logs syncBuffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	limit := func(n int) {
		t.Helper()
		if _, err := s.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, n)); err != nil {
			t.Fatal(err)
		}
	}
	limit(pages + 40) // room for a few batches of 32 KiB, not for 30
	big := func(seq int64) *batch.Batch {
		b := newBatch(p.ID, "s", "w", seq, 1795000000000+seq)
		noise := make([]byte, 32<<10)
		rand.Read(noise)
		b.Events = noise // incompressible, as far as the store is concerned
		return b
	}

	acked, refused := 0, 0
	for seq := range int64(30) {
		_, err := s.Append(ctx, big(seq))
		if err == nil {
			if refused > 0 {
				t.Fatalf("batch %d stored after %d were refused, with the limit unchanged", seq, refused)
			}
			acked++
			continue
		}
		var ue *store.UnavailableError
		if !errors.Is(err, store.ErrUnavailable) || !errors.As(err, &ue) || ue.Reason != store.DiskFull {
			t.Fatalf("batch %d: %v; want store.ErrUnavailable with reason disk_full", seq, err)
		}
		refused++
	}
	if acked == 0 || refused == 0 {
		t.Fatalf("%d batches stored and %d refused; want some of each", acked, refused)
	}
	if err := s.WriteErr(); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("WriteErr() = %v while commits fail, want store.ErrUnavailable", err)
	}
	if n := strings.Count(logs.String(), "writes to the data folder fail"); n != 1 {
		t.Errorf("the failure was logged %d times for %d refused batches, want once:\n%s", n, refused, &logs)
	}

	// Space returns: the writer finds out by itself, without a batch.
	limit(1 << 30)
	deadline := time.Now().Add(30 * time.Second)
	for s.WriteErr() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("WriteErr() = %v 30s after space returned", s.WriteErr())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "writes to the data folder work again") {
		t.Errorf("no line says writes work again:\n%s", &logs)
	}
	for seq := int64(acked); seq < 30; seq++ {
		if dup, err := s.Append(ctx, big(seq)); err != nil || dup {
			t.Fatalf("batch %d after space returned: duplicate %v, err %v", seq, dup, err)
		}
	}
	hs, err := s.BatchesAfter(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		if h.Seq != int64(i) {
			t.Fatalf("log position %d holds batch %d; want every batch once, in order", i, h.Seq)
		}
	}
	if len(hs) != 30 {
		t.Errorf("the log holds %d batches, want 30", len(hs))
	}
}

// TestBatchesAfterByteBudget: a step stops once its headers pass the byte
// budget, but always returns at least one.
func TestBatchesAfterByteBudget(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := strings.Repeat("a", 1000)
	for seq := range int64(10) {
		b := newBatch(p.ID, "s", "w", seq, 1795000000000+seq)
		b.UserAgent = agent
		if _, err := s.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		limit, maxBytes, want int
	}{
		{100, 0, 10},
		{100, 2500, 3}, // stops at the header that passes 2500
		{100, 1, 1},
		{2, 1 << 20, 2},
	} {
		hs, err := s.BatchesAfter(ctx, 0, tt.limit, tt.maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != tt.want {
			t.Errorf("BatchesAfter(limit %d, maxBytes %d) = %d headers, want %d", tt.limit, tt.maxBytes, len(hs), tt.want)
		}
	}
}

// TestProcessorRecoversFromFullIndex runs the processor while index.db can
// grow no more: it must report the failure through Health, log it once
// though it retries, and catch up by itself once there is room.
func TestProcessorRecoversFromFullIndex(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.iwrite.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.iwrite.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	const batches = 300
	for seq := range int64(batches) {
		// A session each, so that the index must grow.
		if _, err := s.Append(ctx, newBatch(p.ID, fmt.Sprintf("s%03d", seq), "w", 0, 1795000000000+seq)); err != nil {
			t.Fatal(err)
		}
	}
	var logs syncBuffer
	proc := &process.Processor{Log: s, Index: s, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- proc.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("60s without %s; health: %v; log:\n%s", what, proc.Health(ctx), &logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Several retries: the pause doubles from 100 ms, so 0.1+0.2+0.4 s.
	waitFor("three failed attempts", func() bool {
		err := proc.Health(ctx)
		return errors.Is(err, process.ErrUnhealthy) && errors.Is(err, store.ErrUnavailable) &&
			!strings.Contains(err.Error(), "(1 attempts)") && !strings.Contains(err.Error(), "(2 attempts)")
	})
	if err := proc.Health(ctx); !strings.Contains(err.Error(), "disk") {
		t.Errorf("Health() = %v; want it to say the disk is full", err)
	}
	if n := strings.Count(logs.String(), "processing the log fails"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, &logs)
	}

	if _, err := s.iwrite.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	waitFor("catching up", func() bool {
		behind, _, err := s.Backlog(ctx, mustProcessed(t, s))
		return err == nil && behind == 0 && proc.Health(ctx) == nil
	})
	if !strings.Contains(logs.String(), "processing the log works again") {
		t.Errorf("no line says processing works again:\n%s", &logs)
	}
	list, err := s.Sessions(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != batches {
		t.Errorf("the index lists %d sessions, want %d", len(list), batches)
	}
}

func mustProcessed(t *testing.T, s *Store) int64 {
	t.Helper()
	upto, err := s.Processed(context.Background(), process.Name)
	if err != nil {
		t.Fatal(err)
	}
	return upto
}

// TestProcessorStall holds index.db's write lock from another connection,
// as another process could: the processor waits in its step, making no
// progress, and Health must say it is stalled until the lock is let go.
func TestProcessorStall(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := openDB(filepath.Join(dir, IndexFileName), 1, "immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `INSERT INTO processed (name, upto) VALUES ('other', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, newBatch(p.ID, "s", "w", 0, 1795000000000)); err != nil {
		t.Fatal(err)
	}

	proc := &process.Processor{Log: s, Index: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Stall: 300 * time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- proc.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	deadline := time.Now().Add(8 * time.Second) // within the 10 s busy timeout
	for {
		err := proc.Health(ctx)
		if err != nil && strings.Contains(err.Error(), "stalled: 1 batches behind") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Health() = %v with index.db locked; want it stalled, 1 batch behind", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	lock.Rollback()
	deadline = time.Now().Add(30 * time.Second)
	for proc.Health(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("Health() = %v 30s after index.db was let go", proc.Health(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if behind, _, err := s.Backlog(ctx, mustProcessed(t, s)); err != nil || behind != 0 {
		t.Errorf("Backlog = %d, %v once healthy; want 0", behind, err)
	}
}
