package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newBatch(project int64, session, window string, seq int64, ts int64) *batch.Batch {
	events := fmt.Sprintf(`[{"type":3,"data":{"source":1,"seq":%d},"timestamp":%d}]`, seq, ts)
	return &batch.Batch{
		Project: project, Session: session, Window: window, Seq: seq,
		Received: time.Now(), Events: batch.Compress([]byte(events)), Count: 1, First: ts, Last: ts,
	}
}

func TestAppendIsIdempotentUnderConcurrency(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	// 20 writers send the same 50 batches each: every batch must be stored
	// once, and exactly one writer per batch must be told it was new.
	const writers, batches = 20, 50
	var (
		mu    sync.Mutex
		fresh = map[int64]int{}
		wg    sync.WaitGroup
	)
	for range writers {
		wg.Go(func() {
			for seq := range int64(batches) {
				dup, err := s.Append(ctx, newBatch(p.ID, "s1", "w1", seq, 1795000000000+seq))
				if err != nil {
					t.Error(err)
					return
				}
				if !dup {
					mu.Lock()
					fresh[seq]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for seq := range int64(batches) {
		if fresh[seq] != 1 {
			t.Errorf("batch %d was stored as new %d times", seq, fresh[seq])
		}
	}
	hs, err := s.BatchesAfter(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != batches {
		t.Fatalf("log holds %d batches, want %d", len(hs), batches)
	}
	windows, err := s.SessionEvents(ctx, "s1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(windows) != 1 || len(windows[0].Batches) != batches {
		t.Fatalf("events: %d windows", len(windows))
	}
	for i, b := range windows[0].Batches {
		want := newBatch(p.ID, "s1", "w1", int64(i), 1795000000000+int64(i)).Events
		if !bytes.Equal(b, want) {
			t.Errorf("batch %d reads back changed", i)
		}
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = s.Append(context.Background(), newBatch(1, "s", "w", 0, 1795000000000))
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, "shop", []string{"https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, newBatch(p.ID, "s", "w", 0, 1795000000000)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ProjectByKey(ctx, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "shop" || len(got.Origins) != 1 || !got.Enabled {
		t.Errorf("project after reopen: %+v", got)
	}
	if _, err := s.ProjectByKey(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	dup, err := s.Append(ctx, newBatch(p.ID, "s", "w", 0, 1795000000000))
	if err != nil || !dup {
		t.Errorf("re-sending a stored batch after reopen: dup=%v err=%v", dup, err)
	}
}

func TestSessionIndex(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ms := func(v int64) time.Time { return time.UnixMilli(1795000000000 + v).UTC() }
	updates := []store.SessionUpdate{
		{Project: 1, Session: "a", Window: "w1", First: ms(0), Last: ms(5000), Events: 10,
			PageViews: []store.PageView{{URL: "https://shop.example/", Start: ms(0)}},
			UserAgent: "ua", Browser: "Chrome 120", OS: "Linux", Device: "desktop"},
		{Project: 1, Session: "a", Window: "w1", First: ms(5000), Last: ms(9000), Events: 5,
			PageViews: []store.PageView{{URL: "https://shop.example/cart", Start: ms(6000)}}},
		{Project: 1, Session: "b", Window: "w9", First: ms(20000), Last: ms(21000), Events: 1},
		// Another project may not write into session a.
		{Project: 2, Session: "a", Window: "evil", First: ms(-9000), Last: ms(99000), Events: 1},
	}
	if _, err := s.CreateProject(ctx, "one", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(ctx, "two", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySessionUpdates(ctx, "sessions", 42, updates); err != nil {
		t.Fatal(err)
	}
	if upto, err := s.Processed(ctx, "sessions"); err != nil || upto != 42 {
		t.Errorf("Processed = %d, %v", upto, err)
	}
	list, err := s.Sessions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "b" || list[1].ID != "a" {
		t.Fatalf("list = %+v, want b then a", list)
	}
	a, err := s.Session(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(a)
	if !a.Start.Equal(ms(0)) || !a.End.Equal(ms(9000)) || a.Pages != 2 ||
		a.EntryURL != "https://shop.example/" || a.Browser != "Chrome 120" ||
		len(a.Windows) != 1 || a.Windows[0].Events != 15 || len(a.PageViews) != 2 {
		t.Errorf("session a = %s", got)
	}
	if _, err := s.Session(ctx, "zzz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing session: %v", err)
	}
}

// TestIndexRebuildsFromLog: the sessions index is derived data. Without
// index.db the processor makes it again from the log.
func TestIndexRebuildsFromLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	build := func() store.Session {
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		p := &process.Processor{Log: s, Index: s}
		if _, _, err := p.Step(ctx, 0); err != nil {
			t.Fatal(err)
		}
		sess, err := s.Session(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := s.CreateProject(ctx, "shop", nil)
	for seq := range int64(3) {
		if _, err := s.Append(ctx, newBatch(pr.ID, "s", "w", seq, 1795000000000+seq*1000)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	first := build()
	if err := os.Remove(filepath.Join(dir, IndexFileName)); err != nil {
		t.Fatal(err)
	}
	again := build()
	if again.Windows[0].Events != 3 || !again.Start.Equal(first.Start) || !again.End.Equal(first.End) {
		t.Errorf("rebuilt session %+v, first built %+v", again, first)
	}
}
