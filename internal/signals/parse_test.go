package signals

import (
	stdjson "encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The shapes of rrweb's events as ParseEvents read them with
// encoding/json, before it read them in one pass.
type (
	wireMeta struct {
		Href   string  `json:"href"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	}
	wireCustom struct {
		Tag     string             `json:"tag"`
		Payload stdjson.RawMessage `json:"payload"`
	}
	wireIncremental struct {
		Source    int     `json:"source"`
		Type      *int    `json:"type"`
		ID        int     `json:"id"`
		X         float64 `json:"x"`
		Y         float64 `json:"y"`
		Width     int     `json:"width"`
		Height    int     `json:"height"`
		Positions []struct {
			X          float64 `json:"x"`
			Y          float64 `json:"y"`
			TimeOffset float64 `json:"timeOffset"`
		} `json:"positions"`
		Ranges []stdjson.RawMessage `json:"ranges"`
	}
	wireNode struct {
		Type        int                           `json:"type"`
		ID          int                           `json:"id"`
		TagName     string                        `json:"tagName"`
		Attributes  map[string]stdjson.RawMessage `json:"attributes"`
		ChildNodes  []*wireNode                   `json:"childNodes"`
		TextContent string                        `json:"textContent"`
	}
	wireMutation struct {
		Texts []struct {
			ID    int     `json:"id"`
			Value *string `json:"value"`
		} `json:"texts"`
		Attributes []struct {
			ID         int                           `json:"id"`
			Attributes map[string]stdjson.RawMessage `json:"attributes"`
		} `json:"attributes"`
		Removes []struct {
			ParentID int `json:"parentId"`
			ID       int `json:"id"`
		} `json:"removes"`
		Adds []struct {
			ParentID int       `json:"parentId"`
			Node     *wireNode `json:"node"`
		} `json:"adds"`
	}
)

// fromWire turns a node read by encoding/json into what the mirror reads.
func fromWire(w *wireNode) *node {
	if w == nil {
		return nil
	}
	n := &node{Type: w.Type, ID: w.ID, Tag: strings.ToLower(w.TagName), Attrs: attrsFromWire(w.Attributes), Text: bound(w.TextContent)}
	if w.ChildNodes != nil {
		n.ChildNodes = make([]*node, len(w.ChildNodes))
		for i, c := range w.ChildNodes {
			n.ChildNodes[i] = fromWire(c)
		}
	}
	return n
}

// attrsFromWire sets the attributes the mirror keeps as the element did
// before, in the order of their names.
func attrsFromWire(m map[string]stdjson.RawMessage) attrs {
	var a attrs
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		slot := slotOf(strings.ToLower(k))
		if slot < 0 || !a.offer(slot, []byte(k)) {
			continue
		}
		raw := m[k]
		var v string
		if stdjson.Unmarshal(raw, &v) != nil {
			if string(raw) == "null" {
				v = ""
			} else {
				v = string(raw)
			}
		}
		a.set(slot, []byte(v))
	}
	return a
}

func mutationFromWire(w *wireMutation) *mutation {
	m := new(mutation)
	if w.Texts != nil {
		m.Texts = make([]textChange, len(w.Texts))
		for i, t := range w.Texts {
			m.Texts[i].ID = t.ID
			if t.Value != nil {
				m.Texts[i].Value, m.Texts[i].Set = bound(*t.Value), true
			}
		}
	}
	if w.Attributes != nil {
		m.Attributes = make([]attrChange, len(w.Attributes))
		for i, a := range w.Attributes {
			m.Attributes[i] = attrChange{ID: a.ID, Attrs: attrsFromWire(a.Attributes)}
		}
	}
	if w.Removes != nil {
		m.Removes = make([]removal, len(w.Removes))
		for i, r := range w.Removes {
			m.Removes[i] = removal{ParentID: r.ParentID, ID: r.ID}
		}
	}
	if w.Adds != nil {
		m.Adds = make([]addition, len(w.Adds))
		for i, a := range w.Adds {
			m.Adds[i] = addition{ParentID: a.ParentID, Node: fromWire(a.Node)}
		}
	}
	return m
}

// forgetNames drops how attributes were spelt, which depends on the
// order they were read in; what they set does not.
func forgetNames(events []Event) {
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		n.Attrs.other = nil
		for _, c := range n.ChildNodes {
			walk(c)
		}
	}
	for _, e := range events {
		walk(e.Snapshot)
		if m := e.Mutation; m != nil {
			for i := range m.Attributes {
				m.Attributes[i].Attrs.other = nil
			}
			for _, a := range m.Adds {
				walk(a.Node)
			}
		}
	}
}

// sameEvents tells whether ParseEvents read what encoding/json reads.
func sameEvents(got, want []Event) bool {
	forgetNames(got)
	forgetNames(want)
	return reflect.DeepEqual(got, want)
}

// stdParseEvents reads events as ParseEvents did with encoding/json. The
// analysis of a window must not change with the JSON reader under it: an
// index rebuilt from the log gives the signals it gave before.
func stdParseEvents(raw []byte) ([]Event, error) {
	var wire []struct {
		Type      int                `json:"type"`
		Timestamp float64            `json:"timestamp"`
		Data      stdjson.RawMessage `json:"data"`
	}
	if err := stdjson.Unmarshal(raw, &wire); err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(wire))
	for _, w := range wire {
		if e, ok := stdParseEvent(w.Type, w.Timestamp, w.Data); ok {
			events = append(events, e)
		}
	}
	return events, nil
}

func stdParseEvent(typ int, ts float64, data stdjson.RawMessage) (Event, bool) {
	e := Event{Type: typ, Timestamp: int64(ts)}
	into := func(v any) bool { return stdjson.Unmarshal(data, v) == nil }
	switch typ {
	case typeMeta:
		var m wireMeta
		if !into(&m) {
			return e, false
		}
		e.Href, e.Width, e.Height = m.Href, int(m.Width), int(m.Height)
	case typeFullSnapshot:
		var s struct {
			Node *wireNode `json:"node"`
		}
		if !into(&s) || s.Node == nil {
			return e, false
		}
		e.Snapshot = fromWire(s.Node)
	case typeCustom:
		var c wireCustom
		if !into(&c) {
			return e, false
		}
		e.Tag = c.Tag
		ok := true
		decode := func(p any) { ok = stdjson.Unmarshal(c.Payload, p) == nil }
		switch c.Tag {
		case tagPage:
			e.Page = new(PagePayload)
			decode(e.Page)
		case tagError:
			e.Error = new(ErrorPayload)
			decode(e.Error)
		case tagRequest:
			e.Request = new(RequestPayload)
			decode(e.Request)
		case tagVital:
			e.Vital = new(VitalPayload)
			decode(e.Vital)
		case tagIdentify:
			e.Identify = new(IdentifyPayload)
			decode(e.Identify)
		case tagTrack:
			e.Track = new(TrackPayload)
			decode(e.Track)
		case tagDevice:
			e.Device = new(DevicePayload)
			decode(e.Device)
		case tagShown:
			e.Shown = new(VisibilityPayload)
			decode(e.Shown)
		}
		if !ok {
			return Event{}, false
		}
	case typeIncremental:
		var src struct {
			Source int `json:"source"`
		}
		if !into(&src) {
			return e, false
		}
		e.Source = src.Source
		if src.Source == sourceMutation {
			var m wireMutation
			if !into(&m) {
				return e, false
			}
			e.Mutation = mutationFromWire(&m)
			return e, true
		}
		var d wireIncremental
		if !into(&d) {
			return e, false
		}
		e.ID, e.X, e.Y, e.Width, e.Height = d.ID, d.X, d.Y, d.Width, d.Height
		if d.Type != nil {
			e.Interaction = *d.Type
		}
		for _, p := range d.Positions {
			e.Positions = append(e.Positions, Position{X: p.X, Y: p.Y, TimeOffset: int64(p.TimeOffset)})
		}
		e.Selection = len(d.Ranges) > 0
	}
	return e, true
}

// oddBatches are what a browser does not send but a client could: keys
// spelt otherwise, written twice, data before its type, values of the
// wrong kind, numbers past their type.
var oddBatches = []string{
	`[{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"id":5,"tagName":"BUTTON","attributes":{"ID":"a","id":"b","\u0130d":"c","Class":null,"style":"cursor : pointer","onclick":true}}}],"adds":[{"node":{"id":6}}],"texts":[{"id":5,"value":"x"},{"id":6}],"texts":[{"value":null}]},"timestamp":1}]`,
	`[{"type":3,"data":{"source":0,"attributes":[{"id":1,"attributes":{"Role":"BUTTON","role":null}},{"id":2}],"attributes":[{"attributes":{"TARGET":"_BLANK"}}],"removes":[{"id":3,"parentId":1.5}]}}]`,
	`[{"data":{"payload":{"user":"u","traits":{"a":1e400}},"tag":"playhead/identify"},"type":5}]`,
	`[{"data":{"payload":{"user":"u","traits":{"a":[1,{"b":null}],"a":"x"},"traits":{"c":true}},"tag":"playhead/identify"},"type":5}]`,
	`[{"data":{"node":{"type":0,"childNodes":[null,{"type":2,"tagName":"A","childNodes":[]}],"childNodes":[{"id":7}]}},"timestamp":-0.5,"type":2}]`,
	`[{"type":4,"data":{"href":"x","width":1.5},"type":3},{"type":4,"data":{"href":"y"},"data":{"width":800}}]`,
	`[{"\u0074ype":3,"DATA":{"\u017Fource":1,"positions":[{"x":1.5,"timeOffset":-20},{"x":3}],"positions":[{"y":2}]}}]`,
	`[{"type":3,"data":{"source":2,"id":9223372036854775807,"type":null}},{"type":3,"data":{"source":2,"id":9223372036854775808}},{"type":3,"data":{"source":2,"id":-9223372036854775808,"x":-0}},{"type":3,"data":{"source":2,"id":1e2}}]`,
	`[{"type":3,"data":{"source":14,"ranges":[{}],"ranges":[]}},{"type":3,"data":{"source":14,"ranges":null}},{"type":3,"data":{"source":4,"width":"1"}}]`,
	`[{"type":5,"data":{"tag":"playhead/request","payload":{"status":200.0}}},{"type":5,"data":{"tag":"playhead/vital"}},{"type":5,"data":{"tag":"other"}},{"type":5,"data":{"tag":"playhead/device","payload":null}}]`,
	`[null,{"type":6},{"type":3},{"type":3,"data":null},{"type":2,"data":[]},{"type":5,"data":{"tag":"playhead/page","payload":{"url":"\ud800\udc00\udc00\u00e9ÿ"}}}]`,
	`[{"type":3,"data":{"source":0,"adds":[{"node":{"type":3,"textContent":"` + strings.Repeat("é", 100) + `"}}]}}]`,
	`[{"type":5,"data":{"tag":"playhead/visibility","payload":{"visible":true,"visible":null}}},{"type":5,"data":{"tag":"playhead/visibility","payload":{"visible":1}}},{"type":5,"data":{"tag":"playhead/visibility","payload":{"Visible":false}}}]`,
	`[{"type":5,"data":{"tag":"playhead/visibility","payload":{"visible":tru}}}]`,
	`null`, `{}`, `[1]`, `[{"type":"3"}]`, `[{"timestamp":1e400}]`, `[] x`, `[{"type":1,}]`,
}

func TestParseEventsAsEncodingJSON(t *testing.T) {
	batches, _ := recordedBatches(t)
	for _, odd := range oddBatches {
		batches = append(batches, []byte(odd))
	}
	for i, raw := range batches {
		got, err := ParseEvents(raw)
		want, stdErr := stdParseEvents(raw)
		if (err != nil) != (stdErr != nil) {
			t.Fatalf("batch %d: ParseEvents: %v; encoding/json: %v", i, err, stdErr)
		}
		if !sameEvents(got, want) {
			t.Fatalf("batch %d: read\n%+v\nencoding/json reads\n%+v", i, got, want)
		}
	}
}

// A slice reused batch after batch, as the processor reuses it, reads
// what a fresh one reads, errors included.
func TestAppendEventsReusesTheSlice(t *testing.T) {
	batches, _ := recordedBatches(t)
	for _, odd := range oddBatches {
		batches = append(batches, []byte(odd))
	}
	var reused []Event
	for i, raw := range batches {
		got, err := AppendEvents(reused[:0], raw)
		want, wantErr := ParseEvents(raw)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("batch %d: AppendEvents: %v; ParseEvents: %v", i, err, wantErr)
		}
		if err == nil && !sameEvents(got, want) {
			t.Fatalf("batch %d: read\n%+v\nParseEvents reads\n%+v", i, got, want)
		}
		if err != nil && len(got) != 0 {
			t.Fatalf("batch %d: %d events given back with %v", i, len(got), err)
		}
		reused = got
	}
	click := []byte(`[{"type":3,"data":{"source":2,"type":2,"id":7},"timestamp":5}]`)
	got, err := AppendEvents([]Event{{Type: 4, Href: "https://a.example/"}}, click)
	if err != nil || len(got) != 2 || got[0].Href != "https://a.example/" || got[1].ID != 7 {
		t.Errorf("appended to one event: %+v, %v", got, err)
	}
}

// FuzzParseEventsAsEncodingJSON: whatever the input, ParseEvents fails
// when encoding/json does and reads the same events when it does not.
func FuzzParseEventsAsEncodingJSON(f *testing.F) {
	batches, _ := recordedBatches(f)
	for _, raw := range batches {
		// Small seeds: the fuzzer mutates them faster.
		if len(raw) < 4<<10 {
			f.Add(raw)
		}
	}
	for _, odd := range oddBatches {
		f.Add([]byte(odd))
	}
	f.Add([]byte(`[{"TYPE":3,"data":{"source":1,"positions":[{"x":1}],"source":2,"type":2}}]`))
	f.Add([]byte(`[{"type":5,"data":{"tag":"playhead/page","payload":{"url":"\ud800"}},"timestamp":1e3}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := ParseEvents(raw)
		want, stdErr := stdParseEvents(raw)
		if (err != nil) != (stdErr != nil) {
			t.Fatalf("ParseEvents: %v; encoding/json: %v", err, stdErr)
		}
		if err == nil && !sameEvents(got, want) {
			t.Fatalf("read\n%#v\nencoding/json reads\n%#v", got, want)
		}
	})
}

// Attributes named alike but for case apply in the order of their names,
// whatever the order of the JSON: the analysis of the same events is the
// same.
func TestAttributeSpelling(t *testing.T) {
	for _, tc := range []struct {
		attrs string
		id    string
	}{
		{`"ID":"a","id":"b"`, "b"},
		{`"id":"b","ID":"a"`, "b"},
		{`"Id":"b","ID":"a"`, "b"},
		{`"ID":"a","Id":"b"`, "b"},
		{`"id":"a","id":"b"`, "b"},
		{`"id":"b","\u0130d":"c"`, "c"}, // strings.ToLower("İd") is "id", and it sorts after
	} {
		raw := `[{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"DIV","attributes":{` + tc.attrs + `}}]}}}]`
		events, err := ParseEvents([]byte(raw))
		if err != nil || len(events) != 1 {
			t.Fatalf("%s: %d events, %v", tc.attrs, len(events), err)
		}
		d := newDOM()
		d.reset(events[0].Snapshot)
		if got := d.selector(2); got != "div#"+tc.id {
			t.Errorf("%s: selector %q, want div#%s", tc.attrs, got, tc.id)
		}
	}
}
