package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/playhead/playhead/internal/recordings"
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
			w, err := newWorkload(extraFolder(t), target, now)
			if err != nil {
				t.Fatal(err)
			}
			// The built-in recordings and the extra folder's.
			if want := []string{"extra/snapshot.events.json", recordings.DemoShop, recordings.Signals, recordings.Struggle, recordings.TwoWindows}; !slices.Equal(w.sources, want) {
				t.Fatalf("sessions from %v, want %v", w.sources, want)
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
						// Playhead's recorder puts its page event between
						// the two.
						types := []int{env.Events[0].Type}
						for _, e := range env.Events[1:] {
							if e.Type != typeCustom {
								types = append(types, e.Type)
								break
							}
						}
						if len(types) != 2 || types[0] != typeMeta || types[1] != typeFullSnapshot {
							t.Errorf("%s: a page load starts with types %v, want Meta, FullSnapshot", where, types)
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

// With no folder given, the load generator sends the built-in recordings
// alone: a session script per recording, a page load per page.
func TestWorkloadBuiltIn(t *testing.T) {
	w, err := newWorkload("", 20_000, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{recordings.DemoShop, recordings.Signals, recordings.Struggle, recordings.TwoWindows}; !slices.Equal(w.sources, want) {
		t.Fatalf("sessions from %v, want %v", w.sources, want)
	}
	// The demo shop: list, product, checkout; the signals page, the
	// shipping page and back; the store finder and the flagship store;
	// two windows of a page each.
	for i, want := range []int{3, 3, 2, 2} {
		pages := 0
		for _, b := range w.sessions[i] {
			if b.snapshot {
				pages++
			}
		}
		if pages != want {
			t.Errorf("%s: %d page loads, want %d", w.sources[i], pages, want)
		}
	}
}

// extraFolder makes a folder of more recordings as --corpus takes it: a
// lone FullSnapshot, as some recorders' files are, which gets a Meta of its
// own.
func extraFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	snapshot := `[{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":1795000000000}]`
	if err := os.WriteFile(filepath.Join(dir, "extra", "snapshot.events.json"), []byte(snapshot), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWorkloadExtraFolderErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := newWorkload(empty, 20_000, time.Now()); err == nil || !strings.Contains(err.Error(), "no */*.events.json") {
		t.Errorf("empty folder: %v", err)
	}
	bad := t.TempDir()
	os.Mkdir(filepath.Join(bad, "x"), 0o755)
	os.WriteFile(filepath.Join(bad, "x", "y.events.json"), []byte(`[{"type":3,"data":{},"timestamp":1,"extra":1}]`), 0o644)
	if _, err := newWorkload(bad, 20_000, time.Now()); err == nil || !strings.Contains(err.Error(), "x/y.events.json") {
		t.Errorf("bad file: %v", err)
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
