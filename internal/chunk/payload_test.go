package chunk

import "testing"

// FuzzDecodePayload reaches what a zstd frame holds, which fuzzing the
// stored form seldom gets past: reading it never panics, and the events it
// reads are written back the same (white space between them aside: a
// payload of ours has none, but one made up may).
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{`[{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":4},{"x":5,"y":2,"id":3,"timeOffset":9}]},"timestamp":9},{"type":2,"data":{},"timestamp":1}]`, `[]`} {
		var events []Event
		Split([]byte(s), func(e Event) error { events = append(events, e); return nil })
		f.Add(encodePayload(events))
	}
	// White space before an event, which no payload of ours holds.
	f.Add(encodePayload([]Event{{Type: 2, Timestamp: 1, Raw: []byte("\n{\"type\":2,\"data\":{},\"timestamp\":1}")}}))
	f.Fuzz(func(t *testing.T, p []byte) {
		raw, err := decodePayload(p, nil)
		if err != nil {
			return
		}
		var events []Event
		if Split(raw, func(e Event) error { events = append(events, e); return nil }) != nil {
			return
		}
		again, err := decodePayload(encodePayload(events), nil)
		if err != nil {
			t.Fatalf("%q written back does not read: %v", raw, err)
		}
		var back []Event
		if err := Split(again, func(e Event) error { back = append(back, e); return nil }); err != nil || len(back) != len(events) {
			t.Fatalf("%q read back as %q (%v)", raw, again, err)
		}
		for i := range events {
			if string(back[i].Raw) != string(events[i].Raw) {
				t.Fatalf("%q: event %d read back as %q, want %q", raw, i, back[i].Raw, events[i].Raw)
			}
		}
	})
}
