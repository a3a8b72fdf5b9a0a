package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/playhead/playhead/internal/recordings"
)

// rrweb event types (rrweb's EventType enum).
const (
	typeFullSnapshot = 2
	typeMeta         = 4
	typeCustom       = 5
)

// event is an rrweb event. rrweb writes exactly these three fields, in this
// order; keeping the order keeps the JSON as a recorder sends it.
type event struct {
	Type      int             `json:"type"`
	Data      json.RawMessage `json:"data"`
	Timestamp int64           `json:"timestamp"`
}

// page is one page load: a Meta event, a FullSnapshot and what the visitor
// then did on the page.
type page []event

// recording is one source of sessions: the page loads of a recorded visit.
type recording struct {
	name  string
	pages []page
}

// loadRecordings reads the built-in recordings (package recordings: the
// demo shop by Playhead's own recorder, and stock rrweb's stream of two
// windows) and every */*.events.json under dir (none if dir is ""), a JSON
// array of rrweb events each. pool gets every incremental event of every
// source, in order: what simulated visitors do between page loads.
func loadRecordings(dir string) (recs []recording, pool []event, err error) {
	sources := map[string][]byte{}
	builtIn, err := recordings.All()
	if err != nil {
		return nil, nil, err
	}
	for _, r := range builtIn {
		// A session's windows, one after the other, as one visit.
		b, err := json.Marshal(r.Events())
		if err != nil {
			return nil, nil, err
		}
		sources[r.Name] = b
	}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*", "*.events.json"))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("no */*.events.json in %s", dir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, err
			}
			sources[filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f)] = b
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		var events []event
		d := json.NewDecoder(bytes.NewReader(sources[name]))
		d.DisallowUnknownFields()
		if err := d.Decode(&events); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, e := range events {
			if e.Type != typeMeta && e.Type != typeFullSnapshot {
				pool = append(pool, e)
			}
		}
		if pages := splitPages(name, events); len(pages) > 0 {
			recs = append(recs, recording{name: name, pages: pages})
		}
	}
	return recs, pool, nil
}

// splitPages cuts a recording at its page loads. A FullSnapshot without a
// Meta event before it (some recorders' files are a lone snapshot) gets a
// Meta made up for it, as the server needs one to know the page.
// Events before the first snapshot belong to no page and are left out.
func splitPages(name string, events []event) []page {
	var pages []page
	for _, e := range events {
		cur := len(pages) - 1
		switch {
		case e.Type == typeMeta:
			pages = append(pages, page{e})
		case e.Type == typeFullSnapshot && (cur < 0 || slices.ContainsFunc(pages[cur], isSnapshot)):
			meta := event{Type: typeMeta, Timestamp: e.Timestamp,
				Data: json.RawMessage(fmt.Sprintf(`{"href":"http://localhost/recordings/%s","width":1280,"height":720}`, name))}
			pages = append(pages, page{meta, e})
		case cur >= 0:
			pages[cur] = append(pages[cur], e)
		}
	}
	return pages
}
