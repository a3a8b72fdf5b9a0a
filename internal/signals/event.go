package signals

import (
	"fmt"
	"time"

	// encoding/json's behaviour on the faster reader of encoding/json/v2:
	// reading events was most of the processor's time, and it competes
	// with ingest for the same cores. parse_test.go holds it to
	// encoding/json's results.
	json "github.com/go-json-experiment/json/v1"
)

// rrweb's event types (EventType).
const (
	typeFullSnapshot = 2
	typeIncremental  = 3
	typeMeta         = 4
	typeCustom       = 5
)

// rrweb's incremental sources (IncrementalSource).
const (
	sourceMutation         = 0
	sourceMouseMove        = 1
	sourceMouseInteraction = 2
	sourceScroll           = 3
	sourceViewportResize   = 4
	sourceInput            = 5
	sourceTouchMove        = 6
	sourceDrag             = 12
	sourceSelection        = 14
)

// rrweb's mouse interactions (MouseInteractions).
const (
	interactionClick    = 2
	interactionDblClick = 4
	interactionFocus    = 5
	interactionBlur     = 6
	interactionTouchEnd = 9
)

// Event is one rrweb event, with the parts of its data that the analysis
// reads. Everything else stays raw.
type Event struct {
	Type      int
	Timestamp int64 // ms since the epoch, the visitor's clock

	// Incremental snapshots.
	Source      int
	Interaction int     // MouseInteraction type
	ID          int     // the node it concerns
	X, Y        float64 // MouseInteraction, Scroll
	Positions   []Position
	Width       int // Meta, ViewportResize
	Height      int
	Selection   bool // a Selection that selected something

	Href string // Meta

	// Mutations, applied to the DOM mirror.
	Mutation *mutation
	// Snapshot is a FullSnapshot's document.
	Snapshot *node

	// Custom events: Tag is "playhead/…" (docs/recorder.md), and the
	// payload of those the analysis reads is decoded below.
	Tag      string
	Page     *PagePayload
	Error    *ErrorPayload
	Request  *RequestPayload
	Vital    *VitalPayload
	Identify *IdentifyPayload
	Track    *TrackPayload
	Device   *DevicePayload
}

// The payloads of the recorder's custom events (docs/recorder.md).
type (
	PagePayload struct {
		URL      string `json:"url"`
		Referrer string `json:"referrer"`
		Title    string `json:"title"`
		Nav      string `json:"nav"` // load, push, replace, pop, hash
	}
	ErrorPayload struct {
		Kind    string `json:"kind"` // error, rejection, console.error, console.warn
		Message string `json:"message"`
		Stack   string `json:"stack"`
		Source  string `json:"source"`
	}
	RequestPayload struct {
		Initiator string  `json:"initiator"` // fetch, xhr, resource
		Method    string  `json:"method"`
		URL       string  `json:"url"`
		Status    int     `json:"status"`
		Duration  float64 `json:"duration"` // ms
		Failure   string  `json:"failure"`  // network, abort, timeout, cors, http
	}
	VitalPayload struct {
		Name  string  `json:"name"` // LCP, CLS, INP, FCP, TTFB
		Value float64 `json:"value"`
	}
	IdentifyPayload struct {
		User   string         `json:"user"`
		Traits map[string]any `json:"traits"`
	}
	TrackPayload struct {
		Name string `json:"name"`
	}
	DevicePayload struct {
		Viewport struct {
			W float64 `json:"w"`
			H float64 `json:"h"`
		} `json:"viewport"`
	}
)

// The custom event tags the analysis reads.
const (
	tagPage     = "playhead/page"
	tagError    = "playhead/error"
	tagRequest  = "playhead/request"
	tagVital    = "playhead/vital"
	tagIdentify = "playhead/identify"
	tagTrack    = "playhead/track"
	tagDevice   = "playhead/device"
)

// Position is one sample of a mouse or touch move.
type Position struct {
	X, Y       float64
	TimeOffset int64 // ms relative to the event's timestamp (≤ 0)
}

type wireEvent struct {
	Type      int             `json:"type"`
	Timestamp float64         `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type wireIncremental struct {
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
	Ranges []json.RawMessage `json:"ranges"`
}

type wireMeta struct {
	Href   string  `json:"href"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

type wireCustom struct {
	Tag     string          `json:"tag"`
	Payload json.RawMessage `json:"payload"`
}

// ParseEvents reads a JSON array of rrweb events. Events it cannot read
// are skipped: ingest has checked the envelope of each, and the analysis
// must not fail a window over one odd event.
func ParseEvents(raw []byte) ([]Event, error) {
	var wire []wireEvent
	if err := json.Unmarshal(raw, &wire); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	events := make([]Event, 0, len(wire))
	for _, w := range wire {
		if e, ok := parseEvent(w); ok {
			events = append(events, e)
		}
	}
	return events, nil
}

func parseEvent(w wireEvent) (Event, bool) {
	e := Event{Type: w.Type, Timestamp: int64(w.Timestamp)}
	switch w.Type {
	case typeMeta:
		var m wireMeta
		if json.Unmarshal(w.Data, &m) != nil {
			return e, false
		}
		e.Href, e.Width, e.Height = m.Href, int(m.Width), int(m.Height)
	case typeFullSnapshot:
		var s struct {
			Node *node `json:"node"`
		}
		if json.Unmarshal(w.Data, &s) != nil || s.Node == nil {
			return e, false
		}
		e.Snapshot = s.Node
	case typeCustom:
		var c wireCustom
		if json.Unmarshal(w.Data, &c) != nil {
			return e, false
		}
		e.Tag = c.Tag
		ok := true
		switch c.Tag {
		case tagPage:
			e.Page, ok = payload[PagePayload](c.Payload)
		case tagError:
			e.Error, ok = payload[ErrorPayload](c.Payload)
		case tagRequest:
			e.Request, ok = payload[RequestPayload](c.Payload)
		case tagVital:
			e.Vital, ok = payload[VitalPayload](c.Payload)
		case tagIdentify:
			e.Identify, ok = payload[IdentifyPayload](c.Payload)
		case tagTrack:
			e.Track, ok = payload[TrackPayload](c.Payload)
		case tagDevice:
			e.Device, ok = payload[DevicePayload](c.Payload)
		}
		if !ok {
			return Event{}, false
		}
	case typeIncremental:
		return parseIncremental(e, w.Data)
	}
	return e, true
}

// payload decodes a custom event's payload.
func payload[T any](raw json.RawMessage) (*T, bool) {
	p := new(T)
	return p, json.Unmarshal(raw, p) == nil
}

func parseIncremental(e Event, data json.RawMessage) (Event, bool) {
	var src struct {
		Source int `json:"source"`
	}
	if json.Unmarshal(data, &src) != nil {
		return e, false
	}
	e.Source = src.Source
	if src.Source == sourceMutation {
		var m mutation
		if json.Unmarshal(data, &m) != nil {
			return e, false
		}
		e.Mutation = &m
		return e, true
	}
	var d wireIncremental
	if json.Unmarshal(data, &d) != nil {
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
	return e, true
}

// isInput tells whether the event is the visitor doing something: what
// counts as activity.
func (e *Event) isInput() bool {
	if e.Type != typeIncremental {
		return false
	}
	switch e.Source {
	case sourceMouseMove, sourceMouseInteraction, sourceScroll, sourceViewportResize,
		sourceInput, sourceTouchMove, sourceDrag, sourceSelection:
		return true
	}
	return false
}

// isClick tells whether the event is a click (or a tap, which browsers
// also report as a click).
func (e *Event) isClick() bool {
	return e.Type == typeIncremental && e.Source == sourceMouseInteraction && e.Interaction == interactionClick
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }
