package signals

import (
	stdjson "encoding/json"
	"reflect"
	"testing"
)

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
			Node *node `json:"node"`
		}
		if !into(&s) || s.Node == nil {
			return e, false
		}
		e.Snapshot = s.Node
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
			var m mutation
			if !into(&m) {
				return e, false
			}
			e.Mutation = &m
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

func TestParseEventsAsEncodingJSON(t *testing.T) {
	batches, _ := recordedBatches(t)
	for i, raw := range batches {
		got, err := ParseEvents(raw)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		want, err := stdParseEvents(raw)
		if err != nil {
			t.Fatalf("batch %d: encoding/json: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batch %d: read\n%+v\nencoding/json reads\n%+v", i, got, want)
		}
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
	f.Add([]byte(`[{"TYPE":3,"data":{"source":1,"positions":[{"x":1}],"source":2,"type":2}}]`))
	f.Add([]byte(`[{"type":5,"data":{"tag":"playhead/page","payload":{"url":"\ud800"}},"timestamp":1e3}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := ParseEvents(raw)
		want, stdErr := stdParseEvents(raw)
		if (err != nil) != (stdErr != nil) {
			t.Fatalf("ParseEvents: %v; encoding/json: %v", err, stdErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("read\n%#v\nencoding/json reads\n%#v", got, want)
		}
	})
}
