package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// envelope is a request body as docs/api.md defines it.
type envelope struct {
	Key     string  `json:"key"`
	Session string  `json:"session"`
	Window  string  `json:"window"`
	Seq     *int    `json:"seq"`
	Events  []event `json:"events"`
}

func TestWorkload(t *testing.T) {
	for _, target := range []int{5_000, 20_000} {
		t.Run(fmt.Sprint(target), func(t *testing.T) {
			now := time.Now()
			w, err := newWorkload(corpusDir, target, now)
			if err != nil {
				t.Fatal(err)
			}
			// The embedded demo session and the corpus's recordings.
			if !slices.Contains(w.sources, "playhead/demo-session.json") || !slices.Contains(w.sources, "posthog/recording_snapshots.events.json") {
				t.Fatalf("sessions from %v", w.sources)
			}
			zw := gzip.NewWriter(nil)
			incr, incrBytes := 0, 0
			for si, s := range w.sessions {
				last := int64(0)
				for i, tmpl := range s {
					var buf bytes.Buffer
					if err := tmpl.body(&buf, zw, []byte(`"key-1"`), "s-1", "w-1"); err != nil {
						t.Fatal(err)
					}
					env, raw := decodeBody(t, buf.Bytes())
					where := fmt.Sprintf("%s batch %d", w.sources[si], i)
					if env.Key != "key-1" || env.Session != "s-1" || env.Window != "w-1" || env.Seq == nil || *env.Seq != i {
						t.Fatalf("%s: envelope %q %q %q seq %v", where, env.Key, env.Session, env.Window, env.Seq)
					}
					if len(env.Events) == 0 || len(env.Events) > maxBatchEvents {
						t.Fatalf("%s: %d events", where, len(env.Events))
					}
					if raw != tmpl.raw {
						t.Errorf("%s: events JSON is %d bytes, template says %d", where, raw, tmpl.raw)
					}
					if i == 0 && !tmpl.snapshot {
						t.Errorf("%s: a session must start with a page load", where)
					}
					if tmpl.snapshot {
						if env.Events[0].Type != typeMeta || env.Events[1].Type != typeFullSnapshot {
							t.Errorf("%s: a page load starts with types %d, %d, want Meta, FullSnapshot", where, env.Events[0].Type, env.Events[1].Type)
						}
					} else {
						incr++
						incrBytes += raw
						if raw > target && len(env.Events) > 1 {
							t.Errorf("%s: %d bytes of incremental events, over the target %d", where, raw, target)
						}
					}
					for _, e := range env.Events {
						if e.Timestamp < now.UnixMilli() || e.Timestamp > now.Add(time.Hour).UnixMilli() {
							t.Fatalf("%s: timestamp %d is not rebased to now (%d)", where, e.Timestamp, now.UnixMilli())
						}
						if e.Timestamp < last {
							t.Fatalf("%s: timestamp %d goes back from %d", where, e.Timestamp, last)
						}
						last = e.Timestamp
					}
				}
			}
			// A batch ends where the next event would not fit, and a
			// page's last batch holds what is left of it.
			if mean := incrBytes / incr; mean < target*8/10 || mean > target {
				t.Errorf("incremental batches are %d bytes on average, want about %d", mean, target)
			}
		})
	}
}

// decodeBody gunzips and parses a request body strictly, and returns the
// size of its events array as sent.
func decodeBody(t *testing.T, body []byte) (envelope, int) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	d := json.NewDecoder(bytes.NewReader(plain))
	d.DisallowUnknownFields()
	if err := d.Decode(&env); err != nil {
		t.Fatalf("body is not an envelope: %v\n%.200s", err, plain)
	}
	var raw struct{ Events json.RawMessage }
	json.Unmarshal(plain, &raw)
	return env, len(raw.Events)
}

func TestWorkloadWithoutCorpus(t *testing.T) {
	w, err := newWorkload("", 20_000, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.sessions) != 1 || w.sources[0] != "playhead/demo-session.json" {
		t.Fatalf("sessions from %v", w.sources)
	}
	// The demo shop visit: product, cart, checkout.
	pages := 0
	for _, b := range w.sessions[0] {
		if b.snapshot {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d page loads, want 3", pages)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(d)
	want := Latency{N: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("percentiles = %+v, want %+v", got, want)
	}
}
