package chunk_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/chunk"
)

// joined is the JSON array of events, stably sorted by timestamp: what a
// chunk of them must decode to.
func joined(events []chunk.Event) string {
	s := slices.Clone(events)
	slices.SortStableFunc(s, func(a, b chunk.Event) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e.Raw)
	}
	b.WriteByte(']')
	return b.String()
}

func TestLegacyChunkReadable(t *testing.T) {
	blob, err := os.ReadFile("testdata/legacy.zst")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/legacy.json")
	if err != nil {
		t.Fatal(err)
	}
	if chunk.NeedsDict(blob) {
		t.Error("a chunk stored before dictionaries asks for one")
	}
	got, err := chunk.Decode(blob, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("decoded %s, %v; want %s", got, err, want)
	}
	// A chunk of the old form among new ones: its full snapshot goes into
	// the next chunk's dictionary as any other's.
	r := chunk.NewReader(0)
	next, _ := chunk.Build(split(t, `[{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[],"id":2}],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":1795000300000}]`),
		chunk.DictAfter(nil, split(t, string(want))))
	stored := [][]byte{blob, next}
	got, err = r.Chunk(context.Background(), "w", 1, func(_ context.Context, ord int) ([]byte, error) { return stored[ord], nil })
	if err != nil || !strings.Contains(string(got), `"timestamp":1795000300000`) {
		t.Fatalf("chunk after an old one: %s, %v", got, err)
	}
}

func TestMovesRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"type":3,"data":{"source":1,"positions":[{"x":10,"y":20,"id":2,"timeOffset":-40},{"x":-3,"y":0,"id":9007199254740993,"timeOffset":0}]},"timestamp":1795000000500}`,
		`{"type":3,"data":{"source":6,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":-9223372036854775808}`,
		`{"type":3,"data":{"source":12,"positions":[{"x":9223372036854775807,"y":-9223372036854775808,"id":0,"timeOffset":0}]},"timestamp":1}`,
		// Moves written otherwise stay as they are.
		`{"type":3,"data":{"source":1,"positions":[{"x":10.5,"y":20,"id":2,"timeOffset":-40}]},"timestamp":2}`,
		`{"type":3,"data":{"source":1,"positions":[{"x":10,"y":20,"id":2,"timeOffset":-40,"extra":1}]},"timestamp":3}`,
		`{"type":3,"data":{"source":1,"positions":[{"y":20,"x":10,"id":2,"timeOffset":-40}]},"timestamp":4}`,
		`{"type":3,"data":{"source":1,"positions":[{"X":10,"y":20,"id":2,"timeOffset":-40}]},"timestamp":5}`,
		`{"type":3,"data":{"source":1,"positions":[]},"timestamp":6}`,
		`{"type":3,"data":{"source":1,"positions":null},"timestamp":7}`,
		`{"type":3,"data":{"source":1, "positions":[{"x":-0,"y":20,"id":2,"timeOffset":-40}]},"timestamp":8}`,
		`{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":9,"type":3}`,
		`{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":1e3}`,
	} {
		events := split(t, "["+in+","+in+"]")
		blob, _ := chunk.Build(events, nil)
		got, err := chunk.Decode(blob, nil)
		if want := joined(events); err != nil || string(got) != want {
			t.Errorf("%s:\n got %s, %v\nwant %s", in, got, err, want)
		}
	}
}

// window is a generated window's chunks: events, stored form, and the
// dictionary each was made with.
type window struct {
	events [][]chunk.Event
	stored [][]byte
}

func page(name string, ts int64) string {
	return fmt.Sprintf(`{"type":4,"data":{"href":"https://shop.example/%s"},"timestamp":%d},{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":3,"textContent":"%s %s %s"}]}},"timestamp":%d},`+
		`{"type":3,"data":{"source":1,"positions":[{"x":%d,"y":5,"id":1,"timeOffset":-10}]},"timestamp":%d}`,
		name, ts, name, strings.Repeat("lorem ipsum ", 50), name, ts, ts%1000, ts+100)
}

func buildWindow(t *testing.T, pages ...string) window {
	var w window
	var dict []byte
	for i, p := range pages {
		events := split(t, "["+page(p, int64(1795000000000+i*180_000))+"]")
		blob, _ := chunk.Build(events, dict)
		if i > 0 && !chunk.NeedsDict(blob) {
			t.Errorf("chunk %d needs no dictionary", i)
		}
		w.events, w.stored = append(w.events, events), append(w.stored, blob)
		var err error
		if _, dict, err = chunk.Read(blob, dict); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestReaderReadsAnyChunk(t *testing.T) {
	w := buildWindow(t, "home", "cart", "home", "shoes", "cart", "home")
	if len(w.stored[2]) >= len(w.stored[1]) {
		t.Errorf("a page seen before takes %d bytes, a new one %d", len(w.stored[2]), len(w.stored[1]))
	}
	gets := 0
	get := func(_ context.Context, ord int) ([]byte, error) { gets++; return w.stored[ord], nil }
	ctx := context.Background()
	for _, order := range [][]int{{5, 0, 1, 2, 3, 4}, {0, 1, 2, 3, 4, 5}, {3, 3, 1, 5}} {
		r := chunk.NewReader(0)
		for _, ord := range order {
			got, err := r.Chunk(ctx, "1/s/w", ord, get)
			if want := joined(w.events[ord]); err != nil || string(got) != want {
				t.Fatalf("order %v, chunk %d: %s, %v\nwant %s", order, ord, got, err, want)
			}
		}
	}
	// In order, each chunk is read once.
	gets = 0
	r := chunk.NewReader(0)
	for ord := range w.stored {
		if _, err := r.Chunk(ctx, "1/s/w", ord, get); err != nil {
			t.Fatal(err)
		}
	}
	if gets != len(w.stored) {
		t.Errorf("reading %d chunks in order read %d", len(w.stored), gets)
	}
	// A window recorded again under the name of one cached: the cache is
	// found out and the chunks read right.
	other := buildWindow(t, "shoes", "home", "shoes")
	if _, err := r.Chunk(ctx, "1/s/w", 2, func(_ context.Context, ord int) ([]byte, error) { return other.stored[ord], nil }); err != nil {
		t.Errorf("window recorded again: %v", err)
	}
	// A cache too small for a dictionary still reads.
	tiny := chunk.NewReader(1)
	if got, err := tiny.Chunk(ctx, "1/s/w", 5, get); err != nil || string(got) != joined(w.events[5]) {
		t.Errorf("without a cache: %s, %v", got, err)
	}
	if _, err := chunk.Decode(w.stored[3], nil); !errors.Is(err, chunk.ErrDict) {
		t.Errorf("decode without its dictionary: %v, want ErrDict", err)
	}
	if _, err := chunk.Decode(w.stored[3], other.stored[0]); !errors.Is(err, chunk.ErrCorrupt) {
		t.Errorf("decode with another dictionary: %v, want ErrCorrupt", err)
	}
}

func TestDictBounded(t *testing.T) {
	big := `{"type":2,"data":{"s":"` + strings.Repeat("x", chunk.MaxDict/3) + `"},"timestamp":1}`
	var dict []byte
	for i := range 5 {
		raw := "[" + big + `,{"type":3,"data":{},"timestamp":2}]`
		dict = chunk.DictAfter(dict, split(t, raw))
		if want := min((i+1)*len(big), chunk.MaxDict); len(dict) != want {
			t.Fatalf("after %d pages the dictionary holds %d bytes, want %d", i+1, len(dict), want)
		}
	}
	if !strings.HasSuffix(string(dict), big) {
		t.Error("the dictionary does not end with the newest page")
	}
}

// FuzzChunkRoundTrip: any array of events comes back from its chunk byte
// for byte, stably sorted, with or without a dictionary.
func FuzzChunkRoundTrip(f *testing.F) {
	legacy, _ := os.ReadFile("testdata/legacy.json")
	for _, s := range []string{string(legacy), `[]`, `[{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":9}]`,
		`[{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":9},{"type":2,"data":{},"timestamp":1}]`} {
		f.Add([]byte(s), []byte(s))
	}
	f.Fuzz(func(t *testing.T, in, dict []byte) {
		var events []chunk.Event
		if chunk.Split(in, func(e chunk.Event) error { events = append(events, e); return nil }) != nil {
			return
		}
		if len(dict) > chunk.MaxDict {
			dict = dict[:chunk.MaxDict]
		}
		want := joined(events)
		blob, m := chunk.Build(events, dict)
		got, err := chunk.Decode(blob, dict)
		if err != nil || string(got) != want || m.Raw != len(want) {
			t.Fatalf("got %q, %v (meta %d bytes)\nwant %q", got, err, m.Raw, want)
		}
		// The dictionary a reader makes after the chunk is the one its
		// writer made.
		if _, next, err := chunk.Read(blob, dict); err != nil || !bytes.Equal(next, chunk.DictAfter(dict, events)) {
			t.Fatalf("read: %v, or the next dictionary (%d bytes) is not the writer's (%d)", err, len(next), len(chunk.DictAfter(dict, events)))
		}
	})
}

// FuzzDecode: stored bytes are outside input once a disk is restored;
// decoding them never panics.
func FuzzDecode(f *testing.F) {
	legacy, _ := os.ReadFile("testdata/legacy.zst")
	f.Add(legacy, []byte(nil))
	var dict []byte
	for _, s := range []string{`[{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4},{"x":5,"y":2,"id":3,"timeOffset":9}]},"timestamp":9},{"type":2,"data":{},"timestamp":1}]`,
		`[{"type":2,"data":{"a":1},"timestamp":1},{"type":3,"data":{"source":6,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4}]},"timestamp":2}]`} {
		var events []chunk.Event
		chunk.Split([]byte(s), func(e chunk.Event) error { events = append(events, e); return nil })
		blob, _ := chunk.Build(events, dict)
		f.Add(blob, dict)
		dict = chunk.DictAfter(dict, events)
	}
	f.Fuzz(func(t *testing.T, blob, dict []byte) {
		chunk.NeedsDict(blob)
		chunk.Decode(blob, dict)
	})
}

func TestReaderClear(t *testing.T) {
	w := buildWindow(t, "home", "cart", "home")
	gets := 0
	get := func(_ context.Context, ord int) ([]byte, error) { gets++; return w.stored[ord], nil }
	r := chunk.NewReader(0)
	ctx := context.Background()
	if _, err := r.Chunk(ctx, "w", 2, get); err != nil {
		t.Fatal(err)
	}
	r.Clear()
	gets = 0
	if got, err := r.Chunk(ctx, "w", 2, get); err != nil || string(got) != joined(w.events[2]) {
		t.Fatalf("after Clear: %s, %v", got, err)
	}
	if gets != 3 {
		t.Errorf("after Clear, chunk 2 read %d chunks, want all 3 again", gets)
	}
}
