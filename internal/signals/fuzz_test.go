package signals

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/playhead/playhead/internal/recordings"
)

// FuzzAnalyse feeds the analysis arbitrary event arrays, as a visitor's
// browser could send them: it must never panic, must keep within its
// bounds, and must give the same analysis for the same events.
func FuzzAnalyse(f *testing.F) {
	all, err := recordings.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range all {
		for _, w := range r.Windows {
			raw, _ := json.Marshal(w.Events)
			f.Add(raw)
		}
	}
	f.Add([]byte(`[{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"id":1,"tagName":"a","childNodes":[{"type":2,"id":1}]}}],"removes":[{"parentId":0,"id":1}]},"timestamp":1}]`))
	f.Add([]byte(`[{"type":5,"data":{"tag":"playhead/identify","payload":{"user":"u","traits":{"a":[1,{"b":null}]}}},"timestamp":5}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		events, err := ParseEvents(raw)
		if err != nil {
			return
		}
		analyse := func() any {
			w := NewWindow("w", DefaultConfig)
			w.Feed(events)
			a := w.Analysis()
			if len(a.Signals) > maxSignals || len(a.Pages) > maxPages || len(a.Text) > maxTexts ||
				len(a.CustomEvents) > maxCustomEvents || len(a.Traits) > maxTraits {
				t.Fatalf("analysis over its bounds: %d signals, %d pages, %d texts", len(a.Signals), len(a.Pages), len(a.Text))
			}
			for _, s := range a.Signals {
				if len(s.Text) > maxText || len(s.Detail) > maxText || s.Count < 1 {
					t.Fatalf("signal %+v", s)
				}
			}
			return a
		}
		if a, b := analyse(), analyse(); !reflect.DeepEqual(a, b) {
			t.Fatalf("two analyses of the same events differ:\n%+v\n%+v", a, b)
		}
	})
}
