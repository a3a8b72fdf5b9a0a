package process_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/blob/fs"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// pageBatch is batch seq of window w: every tenth batch loads a page
// (Meta and full snapshot), the others move the mouse; each is 20 s apart.
// shopStore opens a store in dir, closed when the test ends, with one
// project, "shop".
func shopStore(tb testing.TB, dir string) (*sqlite.Store, store.Project) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	p, err := st.CreateProject(ctx, "shop", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return st, p
}

func pageBatch(w string, seq int) *batch.Batch {
	ts := int64(t0) + int64(seq)*20_000
	var events []string
	if seq%10 == 0 {
		events = append(events,
			fmt.Sprintf(`{"type":4,"data":{"href":"https://shop.example/%d","width":1280,"height":800},"timestamp":%d}`, seq, ts),
			fmt.Sprintf(`{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"left":0,"top":0}},"timestamp":%d}`, ts))
	}
	for i := range 3 {
		events = append(events, fmt.Sprintf(`{"type":3,"data":{"source":1,"positions":[{"x":%d,"y":1,"id":1,"timeOffset":0}]},"timestamp":%d}`, i, ts+int64(i)*1000+1))
	}
	raw := []byte("[" + strings.Join(events, ",") + "]")
	hash := sha256.Sum256(raw)
	var pages []batch.Page
	if seq%10 == 0 {
		pages = []batch.Page{{URL: fmt.Sprintf("https://shop.example/%d", seq), Timestamp: ts}}
	}
	return &batch.Batch{Project: 1, Session: "s", Window: w, Seq: int64(seq), Received: time.Now(),
		Events: batch.Compress(raw), Hash: hash[:], Count: len(events), First: ts, Last: ts + 2001, Pages: pages}
}

// failOnce fails the first AddChunks, as a crash after the blobs were
// written and before they were recorded would.
type failOnce struct {
	*sqlite.Store
	failed bool
}

var errCrash = errors.New("crashed")

func (f *failOnce) AddChunks(ctx context.Context, w store.WindowRef, chunks []store.Part, batches []int64) error {
	if !f.failed {
		f.failed = true
		return errCrash
	}
	return f.Store.AddChunks(ctx, w, chunks, batches)
}

// readAll is a window's events as the parts give them, in order.
func readAll(t *testing.T, st *sqlite.Store, window string) (events []string, parts []store.Part) {
	t.Helper()
	ctx := context.Background()
	parts, err := st.Parts(ctx, 1, "s", window, math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	blobs := fs.New(filepath.Join(st.Dir(), sqlite.BlobDir))
	var dict []byte // the window's chunks come in order, each with the dictionary of those before
	for _, p := range parts {
		var raw []byte
		if p.Chunk {
			r, err := blobs.Get(ctx, p.Key, 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if raw, dict, err = chunk.Read(stored, dict); err != nil {
				t.Fatal(err)
			}
		} else {
			stored, err := st.BatchEvents(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = batch.Decompress(stored); err != nil {
				t.Fatal(err)
			}
		}
		if err := chunk.Split(raw, func(e chunk.Event) error { events = append(events, string(e.Raw)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return events, parts
}

func TestCompaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, _ := shopStore(t, dir)
	// Window a has 40 batches; window b lacks its batch 3.
	for seq := range 40 {
		if _, err := st.Append(ctx, pageBatch("a", seq)); err != nil {
			t.Fatal(err)
		}
		if seq < 13 && seq != 3 {
			if _, err := st.Append(ctx, pageBatch("b", seq)); err != nil {
				t.Fatal(err)
			}
		}
	}
	before, _ := readAll(t, st, "a")
	beforeB, _ := readAll(t, st, "b")
	p := &process.Processor{Log: st, Index: st}
	if _, _, err := p.Step(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// A new batch the processor has not applied is left alone.
	if _, err := st.Append(ctx, pageBatch("a", 40)); err != nil {
		t.Fatal(err)
	}

	log := &failOnce{Store: st}
	c := &process.Compactor{Log: log, Blobs: fs.New(filepath.Join(dir, sqlite.BlobDir)), MinBytes: 1, Quiet: time.Hour, Grace: -1}
	if _, err := c.Pass(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("first pass: %v, want the crash", err)
	}
	n, err := c.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, parts := readAll(t, st, "a")
	if strings.Join(after, "\n") != strings.Join(append(before, mustEvents(t, pageBatch("a", 40))...), "\n") {
		t.Fatalf("window a reads back %d events after compaction, want the %d it had", len(after), len(before)+5)
	}
	// 800 s of recording, a page every 200 s: chunks cut at page loads,
	// and the last page left for when the window is quiet.
	checkChunks := func(parts []store.Part, want int) {
		t.Helper()
		var chunks []store.Part
		for _, p := range parts {
			if p.Chunk {
				chunks = append(chunks, p)
			}
		}
		if len(chunks) != want {
			t.Fatalf("%d chunks of window a, want %d: %+v", len(chunks), want, parts)
		}
		for i, c := range chunks {
			if !c.Full || c.FirstSeq != int64(10*i) || c.LastSeq != int64(10*i+9) || c.Events != 32 || c.Ord != i {
				t.Errorf("chunk %d: %+v; want seqs %d to %d, 32 events, starting with a full snapshot", i, c, 10*i, 10*i+9)
			}
		}
		if last := parts[len(parts)-1]; last.Chunk || last.FirstSeq != 40 {
			t.Errorf("last part %+v, want batch 40 not compacted", last)
		}
	}
	checkChunks(parts, 3)
	if n != 4 {
		t.Errorf("made %d chunks, want 3 of window a and 1 of window b", n)
	}
	// Window b is compacted up to its gap, not past it.
	afterB, partsB := readAll(t, st, "b")
	if strings.Join(afterB, "\n") != strings.Join(beforeB, "\n") || len(partsB) != 10 || !partsB[0].Chunk || partsB[0].LastSeq != 2 || partsB[1].Chunk {
		t.Errorf("window b: parts %+v; want a chunk of 0–2, then batches 4 to 12", partsB)
	}

	// Nothing is compacted twice.
	if n, err := c.Pass(ctx); err != nil || n != 0 {
		t.Errorf("second pass made %d chunks, %v; want none", n, err)
	}
	// Retries of compacted batches are still told apart.
	for _, tt := range []struct {
		b       *batch.Batch
		dup     bool
		wantErr error
	}{
		{pageBatch("a", 5), true, nil},
		{pageBatch("a", 6), true, nil},
		{func() *batch.Batch { b := pageBatch("a", 7); b.Hash = make([]byte, 32); return b }(), false, store.ErrConflict},
	} {
		dup, err := st.Append(ctx, tt.b)
		if dup != tt.dup || !errors.Is(err, tt.wantErr) {
			t.Errorf("retry of batch %d: duplicate %v, %v; want %v, %v", tt.b.Seq, dup, err, tt.dup, tt.wantErr)
		}
	}
	if _, err := st.BatchEvents(ctx, 1); !errors.Is(err, store.ErrReleased) {
		t.Errorf("events of a compacted batch: %v, want ErrReleased", err)
	}

	// A quiet window is compacted to its end, and past a gap; by a
	// compactor that has no dictionary cached, and reads it from the
	// window's chunks.
	c = &process.Compactor{Log: st, Blobs: fs.New(filepath.Join(dir, sqlite.BlobDir)), MinBytes: 1, Quiet: -1, Grace: -1}
	if _, err := c.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	after, parts = readAll(t, st, "a")
	checkChunks(parts, 4)
	if want := len(before) + len(mustEvents(t, pageBatch("a", 40))); len(after) != want {
		t.Errorf("window a reads back %d events, want %d", len(after), want)
	}
	afterB, partsB = readAll(t, st, "b")
	if strings.Join(afterB, "\n") != strings.Join(beforeB, "\n") || len(partsB) != 3 || !partsB[2].Chunk || partsB[2].FirstSeq != 10 {
		t.Errorf("quiet window b: parts %+v; want chunks of 0–2, 4–9 and 10–12", partsB)
	}
}

func mustEvents(t *testing.T, b *batch.Batch) []string {
	raw, err := batch.Decompress(b.Events)
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	s := make([]string, len(out))
	for i, e := range out {
		s[i] = string(e)
	}
	return s
}
