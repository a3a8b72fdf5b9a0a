package api

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// FuzzMerge gives Merge arbitrary stored batches. It must never panic;
// batches made of well-formed events must merge; and whatever it merges
// must be a JSON array of exactly the input events, stably sorted by
// timestamp.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{3, 1, 2, 2, 0}, []byte(`[{"type":4,"timestamp":5,"data":{}},{"timestamp":1.5e3}]`), []byte{})
	f.Add([]byte{}, []byte(`[null,{"timestamp":"7"}]`), []byte("G\x00\x05"))
	f.Add([]byte{9, 9, 9}, []byte(`[{"timestamp":1e400}]`), []byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte{1}, []byte(`{"not":"an array"}`), []byte(nil))
	f.Fuzz(func(t *testing.T, stamps, anyJSON, anyBlob []byte) {
		// Well-formed: each byte of stamps is one event's timestamp
		// offset (so many are equal), cut into batches at every zero
		// byte, in three windows.
		var good []store.WindowEvents
		for i, part := range bytes.Split(stamps, []byte{0}) {
			var evs []string
			for j, s := range part {
				evs = append(evs, fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"batch":%d,"i":%d}}`, 1_795_000_000_000+int(s), i, j))
			}
			blob := batch.Compress([]byte("[" + strings.Join(evs, ",") + "]"))
			if i%2 == 1 {
				blob = gzipForm(t, evs)
			}
			w := i % 3
			for len(good) <= w {
				good = append(good, store.WindowEvents{Window: fmt.Sprintf("w%d", len(good))})
			}
			good[w].Batches = append(good[w].Batches, blob)
		}
		out, err := Merge(good)
		if err != nil {
			t.Fatalf("well-formed batches: %v", err)
		}
		checkMerged(t, good, out)

		// Anything at all, beside them: Merge may refuse it, never panic,
		// and what it merges must still be right.
		all := append(slices.Clone(good),
			store.WindowEvents{Window: "json", Batches: [][]byte{batch.Compress(anyJSON)}},
			store.WindowEvents{Window: "blob", Batches: [][]byte{anyBlob}})
		if out, err := Merge(all); err == nil {
			checkMerged(t, all, out)
		}
	})
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

// checkMerged compares out with the events of windows, in upload order,
// stably sorted by timestamp.
func checkMerged(t *testing.T, windows []store.WindowEvents, out []byte) {
	t.Helper()
	type event struct {
		ts  int64
		raw []byte
	}
	var want []event
	for _, w := range windows {
		for _, blob := range w.Batches {
			b, err := batch.Decompress(blob)
			if err != nil {
				t.Fatalf("merged a batch that does not decompress: %v", err)
			}
			var raws []json.RawMessage
			if err := json.Unmarshal(b, &raws); err != nil {
				t.Fatalf("merged a batch that is not a JSON array: %v", err)
			}
			for _, raw := range raws {
				want = append(want, event{timestamp(t, raw), raw})
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
