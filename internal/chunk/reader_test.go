package chunk

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReaderAnyOrder reads a generated window's chunks in a random order
// through one Reader with a small cache, as players seeking back and forth
// make the server read them, and holds each to the chunk read cold.
func TestReaderAnyOrder(t *testing.T) {
	v := generate(t, 7, 40)
	stored, _ := v.stored()
	if len(stored) < 8 {
		t.Fatalf("%d chunks: the window should make several", len(stored))
	}
	get := func(_ context.Context, ord int) ([]byte, error) { return stored[ord], nil }
	ctx := context.Background()
	want := make([][]byte, len(stored))
	for k := range stored {
		raw, err := NewReader(0).Chunk(ctx, "w", k, get)
		if err != nil {
			t.Fatalf("chunk %d cold: %v", k, err)
		}
		want[k] = raw
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	r := NewReader(3 * MaxDict)
	for i := 0; i < 300; i++ {
		k := rnd.IntN(len(stored))
		if rnd.IntN(3) == 0 && k+1 < len(stored) {
			k++ // the next chunk, as a player playing on asks
		}
		got, err := r.Chunk(ctx, "w", k, get)
		if err != nil {
			t.Fatalf("read %d, chunk %d: %v", i, k, err)
		}
		if !bytes.Equal(got, want[k]) {
			t.Fatalf("read %d, chunk %d differs from the chunk read cold", i, k)
		}
	}
}

// TestReaderRuns holds a cold read to the chunks of its run: the first
// chunk of a run is read alone, and a chunk later in it needs only those
// before it in the run. A window stored before runs, as one chain, reads
// the same through the Reader.
func TestReaderRuns(t *testing.T) {
	v := generate(t, 7, 40)
	stored, _ := v.stored()
	if len(stored) < Run+3 {
		t.Fatalf("%d chunks: the window should make more than a run", len(stored))
	}
	if NeedsDict(stored[Run]) || !Independent(stored[Run]) || Independent(stored[Run+1]) {
		t.Fatalf("chunk %d should start a run, and chunk %d be part of it", Run, Run+1)
	}
	ctx := context.Background()
	var got []int
	get := func(_ context.Context, ord int) ([]byte, error) { got = append(got, ord); return stored[ord], nil }
	cold, err := NewReader(0).Chunk(ctx, "w", Run+2, get)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{Run + 2, Run, Run + 1}; !slices.Equal(got, want) {
		t.Errorf("a cold read of chunk %d read chunks %v, want %v", Run+2, got, want)
	}

	// The same chunks chained over the whole window, as stored before.
	var chain [][]byte
	var dict []byte
	for _, c := range v.chunks[:Run+3] {
		blob, _ := Build(slices.Clone(c), dict)
		chain, dict = append(chain, blob), DictAfter(dict, c)
	}
	if !NeedsDict(chain[Run]) {
		t.Fatal("a chain over the whole window should need its dictionary everywhere")
	}
	old, err := NewReader(0).Chunk(ctx, "w", Run+2, func(_ context.Context, ord int) ([]byte, error) { return chain[ord], nil })
	if err != nil || !bytes.Equal(old, cold) {
		t.Errorf("a window stored as one chain reads %d bytes (%v), want the %d of the same events in runs", len(old), err, len(cold))
	}
}

func TestIsSnapshot(t *testing.T) {
	for _, c := range []struct {
		event string
		want  bool
	}{
		{`{"type":2,"data":{"node":{"type":0}},"timestamp":1}`, true},
		{`{"type":3,"data":{"source":0,"adds":[{"node":{"type":2}}]},"timestamp":1}`, false},
		{`{"type":2}`, true},
		{`{"timestamp":1,"type":2,"data":{}}`, true},
		{`{"data":{"type":2},"type":4}`, false},
		{`{"type":2.0,"data":{}}`, true},
		{`{"type":20,"data":{}}`, false},
		{`{"type": 2,"data":{}}`, true},
		{`{"type":"2"}`, false},
		{`{}`, false},
	} {
		if got := isSnapshot([]byte(c.event)); got != c.want {
			t.Errorf("isSnapshot(%s) = %v, want %v", c.event, got, c.want)
		}
	}
}
