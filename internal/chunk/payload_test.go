package chunk

import "testing"

// FuzzDecodePayload reaches what a zstd frame holds, which fuzzing the
// stored form seldom gets past: reading it never panics, and what it
// reads is written back the same.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{`[{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4},{"x":5,"y":2,"id":3,"timeOffset":9}]},"timestamp":9},{"type":2,"data":{},"timestamp":1}]`, `[]`} {
		var events []Event
		Split([]byte(s), func(e Event) error { events = append(events, e); return nil })
		f.Add(encodePayload(events))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		raw, err := decodePayload(p)
		if err != nil {
			return
		}
		var events []Event
		if Split(raw, func(e Event) error { events = append(events, e); return nil }) != nil {
			return
		}
		again, err := decodePayload(encodePayload(events))
		if err != nil || string(again) != string(raw) {
			t.Fatalf("%q read back as %q, %v", raw, again, err)
		}
	})
}
