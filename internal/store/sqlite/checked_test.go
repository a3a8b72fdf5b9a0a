package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// checkedBatch is newBatch with the JSON ingest checked kept beside it.
func checkedBatch(t *testing.T, project int64, session string, seq int64) *batch.Batch {
	t.Helper()
	b := newBatch(project, session, "w1", seq, 1795000000000+seq)
	raw, err := batch.Decompress(b.Events)
	if err != nil {
		t.Fatal(err)
	}
	b.Checked = raw
	return b
}

func TestBatchJSONIsTheStoredEvents(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	with := checkedBatch(t, p.ID, "s1", 0)
	without := newBatch(p.ID, "s2", "w1", 0, 1795000000000) // logged as another process would
	for _, b := range []*batch.Batch{with, without} {
		if _, err := s.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if s.checked.bytes != cap(with.Checked) {
		t.Fatalf("%d bytes kept in memory, want %d", s.checked.bytes, cap(with.Checked))
	}
	// Read twice: from memory, then from the log.
	for _, id := range []int64{1, 1, 2} {
		got, err := s.BatchJSON(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.BatchEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := batch.Decompress(stored); !bytes.Equal(got, want) {
			t.Errorf("batch %d: %s, stored %s", id, got, want)
		}
	}
	if s.checked.bytes != 0 || len(s.checked.entries) != 0 {
		t.Errorf("%d bytes still kept after reading", s.checked.bytes)
	}
	if _, err := s.BatchJSON(ctx, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("batch 3: %v, want ErrNotFound", err)
	}
}

func TestCheckedEventsLeaveWhenAppliedOrErased(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(4) {
		if _, err := s.Append(ctx, checkedBatch(t, p.ID, fmt.Sprint("s", i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	// A batch sent again is not kept twice.
	if dup, err := s.Append(ctx, checkedBatch(t, p.ID, "s0", 0)); err != nil || !dup {
		t.Fatalf("sent again: duplicate %v, %v", dup, err)
	}
	if n := len(s.checked.entries); n != 4 {
		t.Fatalf("%d batches kept, want 4", n)
	}
	if err := s.ApplySessionUpdates(ctx, "sessions", 2, nil); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]bool{1: false, 2: false, 3: true, 4: true} {
		if _, kept := s.checked.entries[id]; kept != want {
			t.Errorf("batch %d kept: %v, want %v", id, kept, want)
		}
	}
	if _, err := s.EraseSessions(ctx, p.ID, []string{"s3"}); err != nil {
		t.Fatal(err)
	}
	if len(s.checked.entries) != 0 || s.checked.bytes != 0 {
		t.Errorf("after erasing: %d batches, %d bytes kept", len(s.checked.entries), s.checked.bytes)
	}
}

func TestCheckedCacheBudget(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int // put in this order, at positions 1, 2, …
		taken []int64
		kept  []int64
	}{
		{"within", []int{10, 10, 10}, nil, []int64{1, 2, 3}},
		{"oldest out first", []int{24, 24, 24, 24, 24}, nil, []int64{2, 3, 4, 5}},
		{"taken ones make room", []int{24, 24, 24, 24, 24}, []int64{2}, []int64{1, 3, 4, 5}},
		{"a giant is not kept", []int{10, 26, 10}, nil, []int64{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCheckedCache(100)
			for i, n := range tt.sizes {
				id := int64(i + 1)
				c.put(id, make([]byte, n), nil)
				for _, taken := range tt.taken {
					if taken == id && c.take(id) == nil {
						t.Fatalf("batch %d not kept when put", id)
					}
				}
			}
			total := 0
			for _, id := range tt.kept {
				if _, ok := c.entries[id]; !ok {
					t.Errorf("batch %d dropped", id)
				}
				total += tt.sizes[id-1]
			}
			if len(c.entries) != len(tt.kept) || c.bytes != total || c.bytes > c.max {
				t.Errorf("%d batches, %d bytes kept; want %v, %d bytes", len(c.entries), c.bytes, tt.kept, total)
			}
		})
	}
}

// TestCheckedEventsAreGivenBack holds the log to the lending of ingest's
// buffers: each batch's checked events are given back exactly once,
// whatever became of the batch, and one the processor took only once it
// has applied past it.
func TestCheckedEventsAreGivenBack(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	released := map[string]int{}
	lend := func(name string, b *batch.Batch) *batch.Batch {
		b.Release = func() { released[name]++ }
		return b
	}
	conflict := checkedBatch(t, p.ID, "s1", 0)
	conflict.Hash = []byte("other events")
	giant := checkedBatch(t, p.ID, "s3", 0)
	giant.Checked = append(giant.Checked, make([]byte, maxChecked/4)...)
	for _, tt := range []struct {
		name string
		b    *batch.Batch
		err  error
	}{
		{"taken", checkedBatch(t, p.ID, "s1", 0), nil},
		{"kept", checkedBatch(t, p.ID, "s2", 0), nil},
		{"duplicate", checkedBatch(t, p.ID, "s1", 0), nil},
		{"conflict", conflict, store.ErrConflict},
		{"giant", giant, nil},
	} {
		if _, err := s.Append(ctx, lend(tt.name, tt.b)); !errors.Is(err, tt.err) {
			t.Fatalf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	check := func(when string, want map[string]int) {
		t.Helper()
		for _, name := range []string{"taken", "kept", "duplicate", "conflict", "giant"} {
			if released[name] != want[name] {
				t.Errorf("%s: %s given back %d times, want %d", when, name, released[name], want[name])
			}
		}
	}
	check("appended", map[string]int{"duplicate": 1, "conflict": 1, "giant": 1})
	if _, err := s.BatchJSON(ctx, 1); err != nil {
		t.Fatal(err)
	}
	check("read", map[string]int{"duplicate": 1, "conflict": 1, "giant": 1})
	if err := s.ApplySessionUpdates(ctx, "sessions", 1, nil); err != nil {
		t.Fatal(err)
	}
	check("applied past the one read", map[string]int{"taken": 1, "duplicate": 1, "conflict": 1, "giant": 1})
	if err := s.ApplySessionUpdates(ctx, "sessions", 3, nil); err != nil {
		t.Fatal(err)
	}
	check("applied past all", map[string]int{"taken": 1, "kept": 1, "duplicate": 1, "conflict": 1, "giant": 1})
}

// TestCheckedCacheCountsBuffers: a few bytes of events lent in a buffer
// that once held a large batch count as the whole buffer, so that the
// budget bounds the memory kept, not the events in it.
func TestCheckedCacheCountsBuffers(t *testing.T) {
	c := newCheckedCache(100)
	for id := range int64(6) {
		c.put(id+1, make([]byte, 2, 24), nil)
	}
	if len(c.entries) != 4 || c.bytes != 96 {
		t.Errorf("%d batches, %d bytes kept; want the newest 4, 96 bytes", len(c.entries), c.bytes)
	}
}
