package api

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// window is a window's stored parts, as the fuzz target makes them.
type window struct {
	parts []store.Part
	blobs [][]byte
}

// FuzzMerge gives merge arbitrary stored batches. It must never panic;
// windows of well-formed events, each in time order, must merge; and
// whatever it merges must be a JSON array of exactly the input events in
// [from, to), stably sorted by timestamp.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{3, 1, 2, 2, 0}, []byte(`[{"type":4,"timestamp":5,"data":{}},{"timestamp":1.5e3}]`), []byte{}, int64(0), int64(0))
	f.Add([]byte{}, []byte(`[null,{"timestamp":"7"}]`), []byte("G\x00\x05"), int64(1_795_000_000_100), int64(1_795_000_000_500))
	f.Add([]byte{9, 9, 9}, []byte(`[{"timestamp":1e400}]`), []byte{0x28, 0xb5, 0x2f, 0xfd}, int64(-1), int64(5))
	f.Add([]byte{1}, []byte(`{"not":"an array"}`), []byte(nil), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, stamps, anyJSON, anyBlob []byte, from, to int64) {
		if from >= to {
			from, to = math.MinInt64, math.MaxInt64
		}
		// Well-formed: each byte of stamps adds to the time of one event
		// (so many are equal), cut into batches at every zero byte, in
		// three windows; each window's events in time order.
		good := make([]window, 3)
		clock := [3]int64{}
		for i, part := range bytes.Split(stamps, []byte{0}) {
			w := i % 3
			var evs []string
			lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
			for j, s := range part {
				clock[w] += int64(s % 4)
				ts := 1_795_000_000_000 + clock[w]
				lo, hi = min(lo, ts), max(hi, ts)
				evs = append(evs, fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"batch":%d,"i":%d}}`, ts, i, j))
			}
			if len(evs) == 0 {
				continue
			}
			blob := batch.Compress([]byte("[" + strings.Join(evs, ",") + "]"))
			if i%2 == 1 {
				blob = gzipForm(t, evs)
			}
			good[w].add(fmt.Sprintf("w%d", w), blob, lo, hi)
		}
		out, err := mergeAll(good, from, to)
		if err != nil {
			t.Fatalf("well-formed batches: %v", err)
		}
		checkMerged(t, good, out, from, to)

		// Anything at all, in windows of their own: merge may refuse it,
		// never panic, and what it merges must still be right.
		all := slices.Clone(good)
		var odd window
		odd.add("x1", batch.Compress(anyJSON), math.MinInt64, math.MaxInt64)
		all = append(all, odd)
		odd = window{}
		odd.add("x2", anyBlob, math.MinInt64, math.MaxInt64)
		all = append(all, odd)
		if out, err := mergeAll(all, from, to); err == nil {
			checkMerged(t, all, out, from, to)
		}
	})
}

func (w *window) add(name string, blob []byte, first, last int64) {
	w.parts = append(w.parts, store.Part{Window: name, ID: int64(len(w.parts)), First: first, Last: last})
	w.blobs = append(w.blobs, blob)
}

func mergeAll(windows []window, from, to int64) ([]byte, error) {
	var lists [][]store.Part
	blobs := map[string][][]byte{}
	for _, w := range windows {
		if len(w.parts) > 0 {
			lists = append(lists, w.parts)
			blobs[w.parts[0].Window] = w.blobs
		}
	}
	var buf bytes.Buffer
	err := merge(&buf, lists, func(p store.Part) ([]byte, error) {
		return batch.Decompress(blobs[p.Window][p.ID])
	}, from, to)
	return buf.Bytes(), err
}

// gzipForm stores events as ingest does a gzipped request body.
func gzipForm(t *testing.T, evs []string) []byte {
	head := `{"key":"k","events":`
	events := "[" + strings.Join(evs, ",") + "]"
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(head + events + "}"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return batch.FromGzipBody(buf.Bytes(), len(head), len(head)+len(events))
}

// checkMerged compares out with the events of windows in [from, to), in
// upload order, stably sorted by timestamp.
func checkMerged(t *testing.T, windows []window, out []byte, from, to int64) {
	t.Helper()
	type event struct {
		ts  int64
		raw []byte
	}
	var want []event
	for _, w := range windows {
		for _, blob := range w.blobs {
			b, err := batch.Decompress(blob)
			if err != nil {
				t.Fatalf("merged a batch that does not decompress: %v", err)
			}
			var raws []json.RawMessage
			if err := json.Unmarshal(b, &raws); err != nil {
				t.Fatalf("merged a batch that is not a JSON array: %v", err)
			}
			for _, raw := range raws {
				if ts := timestamp(t, raw); ts >= from && ts < to {
					want = append(want, event{ts, raw})
				}
			}
		}
	}
	slices.SortStableFunc(want, func(a, b event) int { return cmp.Compare(a.ts, b.ts) })
	var got []json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("merged output is not a JSON array: %v\n%.200s", err, out)
	}
	if len(got) != len(want) {
		t.Fatalf("merged %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i].raw) {
			t.Fatalf("event %d is %s, want %s", i, got[i], want[i].raw)
		}
	}
}

// timestamp reads an event's timestamp as the player orders events: an
// integer, or the whole part of a number written as a float.
func timestamp(t *testing.T, raw []byte) int64 {
	var head struct {
		Timestamp json.Number `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatalf("merged an event that is not an object: %s", raw)
	}
	if n, err := head.Timestamp.Int64(); err == nil {
		return n
	}
	f, _ := head.Timestamp.Float64()
	return int64(f)
}
