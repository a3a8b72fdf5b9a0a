package chunk

import (
	"bytes"
	"context"
	"math/rand/v2"
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
