// Package logtest is the conformance suite every durable log runs: what
// ingest, the processor, compaction and the readers of recordings rely on
// (docs/architecture.md, "Durability" and "Recordings at rest").
package logtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// Log is what the suite exercises.
type Log interface {
	Append(ctx context.Context, b *batch.Batch) (duplicate bool, err error)
	BatchesAfter(ctx context.Context, after int64, limit, maxBytes int) ([]batch.Header, error)
	Commits() <-chan struct{}
	BatchEvents(ctx context.Context, id int64) ([]byte, error)
	Parts(ctx context.Context, project int64, session, window string, from, to int64) ([]store.Part, error)
	PendingWindows(ctx context.Context, upto int64) ([]store.PendingWindow, error)
	NextChunk(ctx context.Context, w store.WindowRef) (ord int, seq int64, err error)
	PendingBatches(ctx context.Context, w store.WindowRef, upto int64, fn func(id, seq int64, events []byte) error) error
	AddChunks(ctx context.Context, w store.WindowRef, chunks []store.Part, batches []int64) error
	DropReleased(ctx context.Context, before time.Time, limit int) (int64, error)
}

// t0 is when the suite's events happen, ms since the epoch.
const t0 = 1_795_000_000_000

// Batch makes a batch of one click event at t0 + seq seconds, or of the
// events given; a batch with seq 0 loads a page.
func Batch(project int64, session, window string, seq int64, events ...string) *batch.Batch {
	ts := int64(t0 + seq*1000)
	raw := fmt.Sprintf(`[{"type":3,"data":{"source":2,"type":2,"id":%d},"timestamp":%d}]`, seq, ts)
	var pages []batch.Page
	if seq == 0 {
		raw = fmt.Sprintf(`[{"type":4,"data":{"href":"https://shop.example/","width":1280,"height":800},"timestamp":%d}]`, ts)
		pages = []batch.Page{{URL: "https://shop.example/", Timestamp: ts, Width: 1280, Height: 800}}
	}
	if len(events) > 0 {
		raw = events[0]
	}
	hash := sha256.Sum256([]byte(raw))
	return &batch.Batch{Project: project, Session: session, Window: window, Seq: seq, Received: time.UnixMilli(ts),
		UserAgent: "Mozilla/5.0", Events: batch.Compress([]byte(raw)), Count: 1, First: ts, Last: ts, Hash: hash[:], Pages: pages}
}

// Run checks a fresh, empty log made by open. Projects 1 and 2 must exist
// in it.
func Run(t *testing.T, open func(t *testing.T) Log) {
	ctx := context.Background()
	appendAll := func(t *testing.T, l Log, bs ...*batch.Batch) {
		t.Helper()
		for _, b := range bs {
			if dup, err := l.Append(ctx, b); err != nil || dup {
				t.Fatalf("append %s/%s/%d: duplicate %v, %v", b.Session, b.Window, b.Seq, dup, err)
			}
		}
	}
	all := func(t *testing.T, l Log) []batch.Header {
		t.Helper()
		hs, err := l.BatchesAfter(ctx, 0, 1000, math.MaxInt)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	events := func(t *testing.T, l Log, id int64) string {
		t.Helper()
		stored, err := l.BatchEvents(ctx, id)
		if err != nil {
			t.Fatalf("events of batch %d: %v", id, err)
		}
		raw, err := batch.Decompress(stored)
		if err != nil {
			t.Fatalf("events of batch %d: %v", id, err)
		}
		return string(raw)
	}
	keys := func(hs []batch.Header) (out []string) {
		for _, h := range hs {
			out = append(out, fmt.Sprintf("%d/%s/%s/%d", h.Project, h.Session, h.Window, h.Seq))
		}
		return out
	}

	t.Run("append then read in order", func(t *testing.T) {
		l := open(t)
		in := []*batch.Batch{Batch(1, "s", "w", 0), Batch(1, "s", "w", 1), Batch(1, "s", "v", 0), Batch(1, "t", "w", 0)}
		appendAll(t, l, in...)
		hs := all(t, l)
		if got := fmt.Sprint(keys(hs)); got != "[1/s/w/0 1/s/w/1 1/s/v/0 1/t/w/0]" {
			t.Fatalf("log = %s, want the batches in the order appended", got)
		}
		for i, h := range hs {
			b := in[i]
			if i > 0 && h.ID <= hs[i-1].ID {
				t.Errorf("position %d after %d: positions must grow", h.ID, hs[i-1].ID)
			}
			if h.Count != b.Count || h.First != b.First || h.Last != b.Last || h.UserAgent != b.UserAgent ||
				!h.Received.Equal(b.Received) || !slices.Equal(h.Pages, b.Pages) {
				t.Errorf("header %+v, want that of %+v", h, b)
			}
			want, _ := batch.Decompress(b.Events)
			if got := events(t, l, h.ID); got != string(want) {
				t.Errorf("events of %s = %s, want %s", keys(hs[i:i+1]), got, want)
			}
		}
		rest, err := l.BatchesAfter(ctx, hs[1].ID, 1, math.MaxInt)
		if err != nil || fmt.Sprint(keys(rest)) != "[1/s/v/0]" {
			t.Errorf("one after the second = %v, %v; want [1/s/v/0]", keys(rest), err)
		}
		if none, err := l.BatchesAfter(ctx, hs[3].ID, 10, math.MaxInt); err != nil || len(none) != 0 {
			t.Errorf("after the newest = %v, %v; want none", keys(none), err)
		}
		if _, err := l.BatchEvents(ctx, hs[3].ID+1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("events of a position never given: %v, want store.ErrNotFound", err)
		}
	})

	t.Run("a commit is signalled", func(t *testing.T) {
		l := open(t)
		appendAll(t, l, Batch(1, "s", "w", 0))
		select {
		case <-l.Commits():
		case <-time.After(time.Minute):
			t.Fatal("no commit signalled after an append")
		}
	})

	t.Run("a retry is a duplicate", func(t *testing.T) {
		l := open(t)
		appendAll(t, l, Batch(1, "s", "w", 0))
		for range 2 {
			dup, err := l.Append(ctx, Batch(1, "s", "w", 0))
			if err != nil || !dup {
				t.Fatalf("retry: duplicate %v, %v; want a duplicate", dup, err)
			}
		}
		if hs := all(t, l); len(hs) != 1 {
			t.Fatalf("log = %v, want the batch once", keys(hs))
		}
	})

	t.Run("a reused seq conflicts and changes nothing", func(t *testing.T) {
		l := open(t)
		appendAll(t, l, Batch(1, "s", "w", 1))
		other := Batch(1, "s", "w", 1, `[{"type":3,"data":{"source":2,"type":2,"id":99},"timestamp":1795000001000}]`)
		if dup, err := l.Append(ctx, other); !errors.Is(err, store.ErrConflict) || dup {
			t.Fatalf("other events under a stored key: duplicate %v, %v; want store.ErrConflict", dup, err)
		}
		hs := all(t, l)
		want, _ := batch.Decompress(Batch(1, "s", "w", 1).Events)
		if len(hs) != 1 || events(t, l, hs[0].ID) != string(want) {
			t.Fatalf("log after a conflict = %v, want the first batch alone, as it was", keys(hs))
		}
	})

	t.Run("keys are per project", func(t *testing.T) {
		l := open(t)
		appendAll(t, l, Batch(1, "s", "w", 0))
		// The same ids in another project, even with other events, are
		// another batch.
		appendAll(t, l, Batch(2, "s", "w", 0, `[{"type":3,"data":{},"timestamp":1795000000000}]`))
		if got := fmt.Sprint(keys(all(t, l))); got != "[1/s/w/0 2/s/w/0]" {
			t.Fatalf("log = %s, want one batch of each project", got)
		}
		if _, err := l.Parts(ctx, 2, "nobody", "", math.MinInt64, math.MaxInt64); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("parts of a session never sent: %v, want store.ErrNotFound", err)
		}
	})

	t.Run("concurrent appends each take a position", func(t *testing.T) {
		l := open(t)
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			// Each batch twice at once: stored once, whichever wins.
			for range 2 {
				wg.Go(func() {
					if _, err := l.Append(ctx, Batch(1, fmt.Sprintf("s%d", i%4), "w", int64(i))); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		hs := all(t, l)
		seen := map[string]bool{}
		for i, h := range hs {
			if i > 0 && h.ID <= hs[i-1].ID {
				t.Errorf("positions %d then %d: BatchesAfter must give them in order", hs[i-1].ID, h.ID)
			}
			seen[keys(hs[i : i+1])[0]] = true
		}
		if len(hs) != n || len(seen) != n {
			t.Fatalf("log holds %d batches (%d distinct), want %d", len(hs), len(seen), n)
		}
		// A reader that goes step by step sees every batch once.
		var after int64
		var stepped int
		for {
			page, err := l.BatchesAfter(ctx, after, 7, math.MaxInt)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			stepped += len(page)
			after = page[len(page)-1].ID
		}
		if stepped != n {
			t.Errorf("read in steps of 7: %d batches, want %d", stepped, n)
		}
	})

	t.Run("parts list a recording's batches by window", func(t *testing.T) {
		l := open(t)
		appendAll(t, l, Batch(1, "s", "w", 1), Batch(1, "s", "v", 0), Batch(1, "s", "w", 0), Batch(1, "x", "w", 0))
		parts, err := l.Parts(ctx, 1, "s", "", math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range parts {
			got = append(got, fmt.Sprintf("%s/%d chunk=%v full=%v", p.Window, p.FirstSeq, p.Chunk, p.Full))
		}
		if fmt.Sprint(got) != "[v/0 chunk=false full=true w/0 chunk=false full=true w/1 chunk=false full=false]" {
			t.Errorf("parts = %v, want each window's batches in seq order, windows apart", got)
		}
		one, err := l.Parts(ctx, 1, "s", "w", t0+500, math.MaxInt64)
		if err != nil || len(one) != 1 || one[0].Window != "w" || one[0].FirstSeq != 1 {
			t.Errorf("parts of window w from t0+500 ms = %+v, %v; want its batch 1 alone", one, err)
		}
	})

	t.Run("release", func(t *testing.T) {
		l := open(t)
		w := store.WindowRef{Project: 1, Session: "s", Window: "w"}
		appendAll(t, l, Batch(1, "s", "w", 0), Batch(1, "s", "w", 1), Batch(1, "s", "v", 0))
		hs := all(t, l)
		upto := hs[len(hs)-1].ID
		pending, err := l.PendingWindows(ctx, upto)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(pending, func(a, b store.PendingWindow) int { return strings.Compare(a.Window, b.Window) })
		if len(pending) != 2 || pending[1].WindowRef != w || pending[1].Batches != 2 || pending[1].Bytes <= 0 {
			t.Fatalf("pending windows = %+v, want v and w with its 2 batches", pending)
		}
		if only, err := l.PendingWindows(ctx, hs[0].ID); err != nil || len(only) != 1 || only[0].Batches != 1 {
			t.Errorf("pending up to the first position = %+v, %v; want w with one batch", only, err)
		}
		var ids []int64
		var seqs []int64
		if err := l.PendingBatches(ctx, w, upto, func(id, seq int64, stored []byte) error {
			if _, err := batch.Decompress(stored); err != nil {
				return err
			}
			ids, seqs = append(ids, id), append(seqs, seq)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seqs, []int64{0, 1}) {
			t.Fatalf("pending batches of w: seqs %v, want [0 1]", seqs)
		}
		c := store.Part{Window: "w", Chunk: true, ID: ids[1], Ord: 0, Key: "1/s/w/00000000.zst", FirstSeq: 0, LastSeq: 1,
			First: t0, Last: t0 + 1000, Events: 2, Bytes: 100, Full: true}
		if err := l.AddChunks(ctx, w, []store.Part{c}, ids); err != nil {
			t.Fatal(err)
		}
		if err := l.AddChunks(ctx, w, []store.Part{{Ord: 1, Key: "1/s/w/00000001.zst", ID: ids[1]}}, ids); err == nil {
			t.Error("released the same batches twice")
		}
		if ord, seq, err := l.NextChunk(ctx, w); err != nil || ord != 1 || seq != 2 {
			t.Errorf("next chunk = %d, seq %d, %v; want 1, seq 2", ord, seq, err)
		}
		parts, err := l.Parts(ctx, 1, "s", "w", math.MinInt64, math.MaxInt64)
		if err != nil || len(parts) != 1 || !parts[0].Chunk || parts[0].Key != c.Key || parts[0].LastSeq != 1 ||
			parts[0].Events != 2 || !parts[0].Full {
			t.Errorf("parts after compaction = %+v, %v; want the chunk alone", parts, err)
		}
		if left, err := l.PendingWindows(ctx, upto); err != nil || len(left) != 1 || left[0].Window != "v" {
			t.Errorf("pending after compaction = %+v, %v; want v alone", left, err)
		}
		// Released, the events stay readable until dropped: a reader that
		// listed the batch just before finishes.
		events(t, l, ids[0])
		if n, err := l.DropReleased(ctx, time.Now().Add(time.Hour), 100); err != nil || n != 2 {
			t.Fatalf("drop released = %d, %v; want 2", n, err)
		}
		if _, err := l.BatchEvents(ctx, ids[0]); !errors.Is(err, store.ErrReleased) {
			t.Errorf("events of a dropped batch: %v, want store.ErrReleased", err)
		}
		// The key and its hash outlive the events: a retry is still a
		// duplicate, a reused seq still a conflict.
		if dup, err := l.Append(ctx, Batch(1, "s", "w", 1)); err != nil || !dup {
			t.Errorf("retry of a compacted batch: duplicate %v, %v; want a duplicate", dup, err)
		}
		other := Batch(1, "s", "w", 1, `[{"type":3,"data":{},"timestamp":1795000001000}]`)
		if _, err := l.Append(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Errorf("reused seq of a compacted batch: %v, want store.ErrConflict", err)
		}
		if hs := all(t, l); len(hs) != 3 {
			t.Errorf("log = %v, want its 3 batches still", keys(hs))
		}
	})
}
