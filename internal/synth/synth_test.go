package synth_test

import (
	"encoding/json"
	"testing"

	"github.com/playhead/playhead/internal/synth"
)

// A generated window is valid rrweb JSON of the size and shape promised:
// about 200 KB a minute, a page of 2,000–4,000 nodes every few minutes,
// and the same for the same seed.
func TestWindow(t *testing.T) {
	const minutes = 20
	var size, pages, batches int
	var last int64
	var first []byte
	err := synth.Window(1, minutes, 1795000000000, func(events []json.RawMessage) error {
		batches++
		raw, err := json.Marshal(events)
		if err != nil {
			return err
		}
		if first == nil {
			first = raw
		}
		size += len(raw)
		for _, e := range events {
			var ev struct {
				Type      int
				Timestamp int64
				Data      json.RawMessage
			}
			if err := json.Unmarshal(e, &ev); err != nil {
				t.Fatalf("event %.100s: %v", e, err)
			}
			if ev.Timestamp < last {
				t.Fatalf("time goes back: %d after %d", ev.Timestamp, last)
			}
			last = ev.Timestamp
			if ev.Type == 4 {
				pages++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	perMinute := size / minutes
	if perMinute < 150_000 || perMinute > 260_000 {
		t.Errorf("%d bytes a minute, want about 200 KB", perMinute)
	}
	if pages < minutes/4 || pages > minutes/2 {
		t.Errorf("%d pages in %d minutes, want one every 2.5–3.5 minutes", pages, minutes)
	}
	if batches < minutes*10 {
		t.Errorf("%d batches, want about one every 5 s", batches)
	}
	var again []byte
	synth.Window(1, 1, 1795000000000, func(events []json.RawMessage) error {
		if again == nil {
			again, _ = json.Marshal(events)
		}
		return nil
	})
	if string(again) != string(first) {
		t.Error("the same seed gave another recording")
	}
}
