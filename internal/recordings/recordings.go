// Package recordings holds real rrweb recordings made in Chromium: one by
// Playhead's own recorder on the demo shop, one by stock rrweb on a page of
// our own in two windows. Tests, fuzz seeds and the load generator use them;
// testdata/README.md says what each is and how to record them again.
package recordings

import (
	"bufio"
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed testdata/*.jsonl
var files embed.FS

// The recordings, by name.
const (
	// DemoShop is a visit to the demo shop recorded by Playhead's own
	// recorder: one window, three pages, typing masked.
	DemoShop = "playhead-demo-shop"
	// TwoWindows is stock rrweb's stream of a visit to the fixture site:
	// one window after the other, a page each.
	TwoWindows = "rrweb-two-windows"
	// Signals is Playhead's recorder on a page made to show, and not
	// show, what the signal detectors look for.
	Signals = "playhead-signals"
	// Struggle is Playhead's recorder on pages made for the detectors the
	// signals fixture leaves out: thrashing, excessive scrolling, failed
	// and slow requests, form abandonment, a slow page.
	Struggle = "playhead-struggle"
)

// Names lists the recordings in a stable order.
var Names = []string{DemoShop, TwoWindows, Signals, Struggle}

// Window is the events of one browser window (tab), in timestamp order.
// The file holds one window a line in this form.
type Window struct {
	ID     string            `json:"window"`
	Events []json.RawMessage `json:"events"`
}

// Recording is one recorded session: its windows, in the order they opened.
type Recording struct {
	Name    string
	Windows []Window
}

// Load reads the embedded recording of that name.
func Load(name string) (Recording, error) {
	b, err := files.ReadFile("testdata/" + name + ".jsonl")
	if err != nil {
		return Recording{}, fmt.Errorf("recording %s: %w", name, err)
	}
	windows, err := Parse(bytes.NewReader(b))
	if err != nil {
		return Recording{}, fmt.Errorf("recording %s: %w", name, err)
	}
	return Recording{Name: name, Windows: windows}, nil
}

// All loads every embedded recording, in the order of Names.
func All() ([]Recording, error) {
	var out []Recording
	for _, n := range Names {
		r, err := Load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Parse reads recording lines: one JSON object per window. Unknown fields
// are an error, so that a mistyped file does not pass for an empty one.
func Parse(r io.Reader) ([]Window, error) {
	var windows []Window
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var w Window
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		if err := d.Decode(&w); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if w.ID == "" || len(w.Events) == 0 {
			return nil, fmt.Errorf("line %d: a window needs an id and events", line)
		}
		windows = append(windows, w)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(windows) == 0 {
		return nil, errors.New("no windows")
	}
	return windows, nil
}

// Write writes windows in the form Parse reads.
func Write(w io.Writer, windows []Window) error {
	var b strings.Builder
	for _, win := range windows {
		line, err := json.Marshal(win)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Events is the recording as one stream: the events of every window in
// timestamp order, a window's own order kept where times are equal. This is
// what the server returns for a whole session.
func (r Recording) Events() []json.RawMessage {
	type stamped struct {
		ts int64
		e  json.RawMessage
	}
	var all []stamped
	for _, w := range r.Windows {
		for _, e := range w.Events {
			all = append(all, stamped{Timestamp(e), e})
		}
	}
	slices.SortStableFunc(all, func(a, b stamped) int { return cmp.Compare(a.ts, b.ts) })
	out := make([]json.RawMessage, len(all))
	for i, s := range all {
		out[i] = s.e
	}
	return out
}

// EndingAt is the recording moved in time, every event by as much, so that
// its last event is at end. Replayed into a server as it was recorded, a
// recording grows older every day, and once its clock is more than a day
// behind the server's the session is dated by its receipt instead, as if
// it were in progress: tests replay it as a visit that just ended. Each
// event's timestamp is the only time in it that is not relative.
func (r Recording) EndingAt(end time.Time) (Recording, error) {
	var last int64
	for _, w := range r.Windows {
		if n := len(w.Events); n > 0 {
			last = max(last, Timestamp(w.Events[n-1]))
		}
	}
	shift := end.UnixMilli() - last
	moved := Recording{Name: r.Name, Windows: make([]Window, len(r.Windows))}
	for i, w := range r.Windows {
		moved.Windows[i] = Window{ID: w.ID, Events: make([]json.RawMessage, len(w.Events))}
		for j, e := range w.Events {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(e, &fields); err != nil {
				return Recording{}, fmt.Errorf("recording %s: event %d of %s: %w", r.Name, j, w.ID, err)
			}
			fields["timestamp"] = json.RawMessage(strconv.FormatInt(Timestamp(e)+shift, 10))
			b, err := json.Marshal(fields)
			if err != nil {
				return Recording{}, err
			}
			moved.Windows[i].Events[j] = b
		}
	}
	return moved, nil
}

// Timestamp is an event's time in ms since 1970, or 0 if it has none.
func Timestamp(event json.RawMessage) int64 {
	var e struct{ Timestamp int64 }
	json.Unmarshal(event, &e)
	return e.Timestamp
}

// Type is an event's rrweb type (4 Meta, 2 FullSnapshot, 3 incremental), or
// -1 if it has none.
func Type(event json.RawMessage) int {
	e := struct{ Type *int }{}
	if json.Unmarshal(event, &e) != nil || e.Type == nil {
		return -1
	}
	return *e.Type
}

// Facts are what a reader of the session list sees of a recording, worked
// out from its events.
type Facts struct {
	Windows    int
	Events     int
	Pages      int    // Meta events: one per page load
	DurationMS int64  // from the first event to the last, over all windows
	EntryURL   string // the first page's address
}

// Facts works out the recording's facts.
func (r Recording) Facts() Facts {
	events := r.Events()
	f := Facts{Windows: len(r.Windows), Events: len(events)}
	if len(events) > 0 {
		f.DurationMS = Timestamp(events[len(events)-1]) - Timestamp(events[0])
	}
	for _, e := range events {
		if Type(e) != typeMeta {
			continue
		}
		f.Pages++
		if f.EntryURL == "" {
			var m struct{ Data struct{ Href string } }
			json.Unmarshal(e, &m)
			f.EntryURL = m.Data.Href
		}
	}
	return f
}

// rrweb event types (rrweb's EventType enum).
const (
	typeFullSnapshot = 2
	typeIncremental  = 3
	typeMeta         = 4
)
