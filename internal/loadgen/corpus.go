package loadgen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// demoSession is the demo shop recorded by Playhead's own recorder in
// Chromium: product page, add to cart, checkout, typing, order. It makes
// the load generator work without the corpus and gives it the events our
// recorder really produces.
//
//go:embed testdata/demo-session.json
var demoSession []byte

// rrweb event types (rrweb's EventType enum).
const (
	typeFullSnapshot = 2
	typeMeta         = 4
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

// FindCorpus looks for the shared rrweb corpus at ../shared/corpus from the
// working folder, then from the folder above the executable's (bin/playhead
// in a checkout), so that both `go run` and the built binary find it.
func FindCorpus() (string, bool) {
	candidates := []string{filepath.Join("..", "shared", "corpus")}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(filepath.Dir(exe)), "..", "shared", "corpus"))
	}
	for _, dir := range candidates {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, true
		}
	}
	return "", false
}

// loadRecordings reads the embedded demo session and every *.events.json
// under dir (none if dir is ""). pool gets every incremental event of every
// source, in order: what simulated visitors do between page loads.
func loadRecordings(dir string) (recs []recording, pool []event, err error) {
	sources := map[string][]byte{"playhead/demo-session.json": demoSession}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*", "*.events.json"))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("no */*.events.json in corpus %s", dir)
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

// splitPages cuts a recording at its page loads. Most corpus files are a
// lone FullSnapshot without its Meta event (see the corpus README); those
// get a Meta made up for them, as the server needs one to know the page.
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
				Data: json.RawMessage(fmt.Sprintf(`{"href":"http://localhost/corpus/%s","width":1280,"height":720}`, name))}
			pages = append(pages, page{meta, e})
		case cur >= 0:
			pages[cur] = append(pages[cur], e)
		}
	}
	return pages
}
