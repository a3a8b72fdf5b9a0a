package ingest

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeImport feeds the import decoder arbitrary files, plain and
// gzip'd. It must never panic, must answer every failure with a 4xx
// *Error, and what it accepts must be batches of the given session that
// hold every event of the file, each within ingest's limits.
func FuzzDecodeImport(f *testing.F) {
	for _, events := range recorded(f) {
		file := []byte(`{"playhead":1,"session":{"user_agent":"UA","clock_offset_ms":5},"windows":[{"id":"w1","events":` + string(events) + `}]}`)
		f.Add(file, false)
		f.Add(gzipBytes(f, file), true)
		f.Add(events, false)
	}
	f.Add([]byte(`{"playhead":1,"windows":[{"id":"a","events":[{"type":4,"data":{"href":"x"},"timestamp":1795000000000}]},{"id":"b","events":[{"type":3,"data":{},"timestamp":1795000000001}]}]}`), false)
	f.Add([]byte(`[{"type":4,"data":{"href":"x"},"timestamp":1795000000000},{"type":2,"data":{},"timestamp":1795000000000}]`), false)
	now := time.Now()
	f.Fuzz(func(t *testing.T, file []byte, gzipped bool) {
		encoding := ""
		if gzipped {
			encoding = "gzip"
		}
		im, err := DecodeImport(file, encoding, "impX", now, DefaultLimits, DefaultMaxImport)
		if err != nil {
			checkRejection(t, err)
			return
		}
		if len(im.Batches) == 0 || im.Windows == 0 {
			t.Fatalf("accepted a file with no batches: %+v", im)
		}
		events := 0
		seqs := map[string]int64{}
		for _, b := range im.Batches {
			if b.Session != "impX" || !validID(b.Window) {
				t.Fatalf("batch of session %q window %q", b.Session, b.Window)
			}
			if b.Seq != seqs[b.Window] {
				t.Fatalf("window %s: batch seq %d, want %d", b.Window, b.Seq, seqs[b.Window])
			}
			seqs[b.Window]++
			var got []json.RawMessage
			if err := json.Unmarshal(storedEvents(t, b.Events), &got); err != nil || len(got) != b.Count {
				t.Fatalf("batch events: %d of %d (%v)", len(got), b.Count, err)
			}
			if len(b.Pages) > 1 || b.Count > importBatchEvents || b.Received.After(now) {
				t.Fatalf("batch of %d pages, %d events, received %v", len(b.Pages), b.Count, b.Received)
			}
			events += b.Count
		}
		if events != im.Events || len(seqs) != im.Windows {
			t.Fatalf("%d events in %d windows, reported %d in %d", events, len(seqs), im.Events, im.Windows)
		}
	})
}
