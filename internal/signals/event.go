package signals

import "time"

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
	Shown    *VisibilityPayload
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
	VisibilityPayload struct {
		Visible bool `json:"visible"`
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
	tagShown    = "playhead/visibility"
)

// Position is one sample of a mouse or touch move.
type Position struct {
	X, Y       float64
	TimeOffset int64 // ms relative to the event's timestamp (≤ 0)
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
