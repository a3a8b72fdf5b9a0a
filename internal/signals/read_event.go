package signals

import (
	"errors"
	"fmt"
	"sync"
)

// errNotEvents is a batch that is JSON but not an array of events.
var errNotEvents = errors.New("not an array of event objects")

var readers = sync.Pool{New: func() any { return new(reader) }}

// ParseEvents reads a JSON array of rrweb events. Events it cannot read
// are skipped: ingest has checked the envelope of each, and the analysis
// must not fail a window over one odd event.
func ParseEvents(raw []byte) ([]Event, error) {
	events, err := AppendEvents(make([]Event, 0, 16), raw)
	if err != nil {
		return nil, err
	}
	return events, nil
}

// AppendEvents is ParseEvents appending to dst (given back as it was on an
// error), so that a caller reading batch after batch reuses one slice: an
// Event is large, and growing a new slice for every batch was most of what
// reading them allocated.
func AppendEvents(dst []Event, raw []byte) ([]Event, error) {
	r := readers.Get().(*reader)
	events, err := r.events(dst, raw)
	r.Data, r.slab, r.slabSize = nil, nil, 0 // the events hold the slab's nodes
	readers.Put(r)
	if err != nil {
		return dst, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}

func (r *reader) events(events []Event, raw []byte) ([]Event, error) {
	r.reset(raw)
	switch c := r.Peek(); c {
	case '[':
	case 'n':
		if err := r.Literal("null"); err != nil {
			return nil, err
		}
		return events, r.End()
	default:
		if err := r.skip(); err != nil {
			return nil, err
		}
		return nil, errNotEvents
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	for more, err := r.next(']', true); ; more, err = r.next(']', false) {
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		e, ok, err := r.event()
		if err != nil {
			return nil, err
		}
		if ok {
			events = append(events, e)
		}
	}
	return events, r.End()
}

var eventFields = []string{"type", "timestamp", "data"}

// event reads one event. Its data is read as its type says; when the type
// comes after the data, or changes after it, the data is read again.
func (r *reader) event() (e Event, ok bool, err error) {
	switch r.Peek() {
	case '{':
	case 'n':
		return Event{}, true, r.Literal("null")
	default:
		if err := r.skip(); err != nil {
			return Event{}, false, err
		}
		return Event{}, false, errNotEvents
	}
	var (
		typ       int
		ts        float64
		data      = -1 // where the last data starts
		decodedAs int
	)
	err = r.object(eventFields, func(f int) error {
		switch f {
		case 0:
			r.bad = false
			if err := r.int(&typ); err != nil || r.bad {
				return cmpErr(err, errNotEvents)
			}
		case 1:
			r.bad = false
			if err := r.float(&ts); err != nil || r.bad {
				return cmpErr(err, errNotEvents)
			}
		default:
			r.Peek()
			data, decodedAs = r.Pos, typ
			var err error
			e, ok, err = r.eventData(typ)
			return err
		}
		return nil
	})
	if err != nil {
		return Event{}, false, err
	}
	switch {
	case data < 0:
		// No data: encoding/json fails to read nothing as a type's data.
		e, ok = Event{}, typ != typeMeta && typ != typeFullSnapshot && typ != typeCustom && typ != typeIncremental
	case decodedAs != typ:
		end := r.Pos
		r.Pos = data
		e, ok, err = r.eventData(typ)
		r.Pos = end
		if err != nil {
			return Event{}, false, err
		}
	}
	e.Type, e.Timestamp = typ, int64(ts)
	return e, ok, nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// eventData reads an event's data as its type says.
func (r *reader) eventData(typ int) (Event, bool, error) {
	r.bad = false
	var e Event
	switch typ {
	case typeMeta:
		var w, h float64
		err := r.object(metaFields, func(f int) error {
			switch f {
			case 0:
				return r.string(&e.Href)
			case 1:
				return r.float(&w)
			}
			return r.float(&h)
		})
		e.Width, e.Height = int(w), int(h)
		return e, !r.bad, err
	case typeFullSnapshot:
		err := r.object(snapshotFields, func(int) error { return r.nodePtr(&e.Snapshot) })
		return e, !r.bad && e.Snapshot != nil, err
	case typeCustom:
		return r.custom()
	case typeIncremental:
		return r.incremental()
	}
	return e, true, r.skip()
}

var (
	metaFields     = []string{"href", "width", "height"}
	snapshotFields = []string{"node"}
	customFields   = []string{"tag", "payload"}
)

// custom reads a custom event: its tag, then the payload as the tag says.
func (r *reader) custom() (Event, bool, error) {
	var e Event
	payload := -1
	err := r.object(customFields, func(f int) error {
		if f == 0 {
			return r.string(&e.Tag)
		}
		r.Peek()
		payload = r.Pos
		return r.skip()
	})
	if err != nil || r.bad {
		return Event{}, false, err
	}
	var read func() error
	switch e.Tag {
	case tagPage:
		p := new(PagePayload)
		e.Page, read = p, func() error {
			return r.object(pageFields, func(f int) error {
				return r.string([]*string{&p.URL, &p.Referrer, &p.Title, &p.Nav}[f])
			})
		}
	case tagError:
		p := new(ErrorPayload)
		e.Error, read = p, func() error {
			return r.object(errorFields, func(f int) error {
				return r.string([]*string{&p.Kind, &p.Message, &p.Stack, &p.Source}[f])
			})
		}
	case tagRequest:
		p := new(RequestPayload)
		e.Request, read = p, func() error {
			return r.object(requestFields, func(f int) error {
				switch f {
				case 3:
					return r.int(&p.Status)
				case 4:
					return r.float(&p.Duration)
				}
				return r.string([]*string{&p.Initiator, &p.Method, &p.URL, nil, nil, &p.Failure}[f])
			})
		}
	case tagVital:
		p := new(VitalPayload)
		e.Vital, read = p, func() error {
			return r.object(vitalFields, func(f int) error {
				if f == 0 {
					return r.string(&p.Name)
				}
				return r.float(&p.Value)
			})
		}
	case tagIdentify:
		p := new(IdentifyPayload)
		e.Identify, read = p, func() error {
			return r.object(identifyFields, func(f int) error {
				if f == 0 {
					return r.string(&p.User)
				}
				return r.traits(&p.Traits)
			})
		}
	case tagTrack:
		p := new(TrackPayload)
		e.Track, read = p, func() error {
			return r.object(trackFields, func(int) error { return r.string(&p.Name) })
		}
	case tagShown:
		p := new(VisibilityPayload)
		e.Shown, read = p, func() error {
			return r.object(visibilityFields, func(int) error { return r.bool(&p.Visible) })
		}
	case tagDevice:
		p := new(DevicePayload)
		e.Device, read = p, func() error {
			return r.object(deviceFields, func(int) error {
				return r.object(viewportFields, func(f int) error {
					return r.float([]*float64{&p.Viewport.W, &p.Viewport.H}[f])
				})
			})
		}
	default:
		return e, true, nil
	}
	if payload < 0 {
		return Event{}, false, nil // encoding/json fails to read nothing
	}
	end := r.Pos
	r.Pos = payload
	err = read()
	r.Pos = end
	if err != nil || r.bad {
		return Event{}, false, err
	}
	return e, true, nil
}

var (
	pageFields       = []string{"url", "referrer", "title", "nav"}
	errorFields      = []string{"kind", "message", "stack", "source"}
	requestFields    = []string{"initiator", "method", "url", "status", "duration", "failure"}
	vitalFields      = []string{"name", "value"}
	identifyFields   = []string{"user", "traits"}
	trackFields      = []string{"name"}
	visibilityFields = []string{"visible"}
	deviceFields     = []string{"viewport"}
	viewportFields   = []string{"w", "h"}
)

// traits reads an object of any values into m, adding to what it holds.
func (r *reader) traits(m *map[string]any) error {
	switch r.Peek() {
	case '{':
	case 'n':
		*m = nil
		return r.Literal("null")
	default:
		return r.mismatch()
	}
	if *m == nil {
		*m = map[string]any{}
	}
	return r.anyMap(*m)
}

// wirePos is a position as rrweb writes it.
type wirePos struct{ x, y, timeOffset float64 }

// The fields of an incremental snapshot's data: a mutation's, then the
// other sources'. No name of one folds to a name of the other, so they
// are matched as one list.
var (
	incrementalFields = []string{
		"source", "type", "id", "x", "y", "width", "height", "positions", "ranges",
		"texts", "attributes", "removes", "adds",
	}
	positionFields = []string{"x", "y", "timeOffset"}
)

const firstMutationField = 9

// incremental reads an incremental snapshot's data, as a mutation and as
// the other sources at once: what it is depends on its source, which may
// come last. A value that does not fit the one it is makes it unreadable;
// one that only the other would read does not.
func (r *reader) incremental() (Event, bool, error) {
	var (
		e                   Event
		m                   mutation
		source, interaction int
		ranges              int
		badSource, badOther bool
		badMutation         bool
		positions           = r.positions[:0]
	)
	clear(r.positions[:cap(r.positions)])
	err := r.object(incrementalFields, func(f int) error {
		r.bad = false
		var err error
		switch f {
		case 0:
			err = r.int(&source)
		case 1:
			err = r.interaction(&interaction)
		case 2:
			err = r.int(&e.ID)
		case 3:
			err = r.float(&e.X)
		case 4:
			err = r.float(&e.Y)
		case 5:
			err = r.int(&e.Width)
		case 6:
			err = r.int(&e.Height)
		case 7:
			err = array(r, &positions, r.position)
		case 8:
			err = r.count(&ranges)
		default:
			err = r.mutationField(&m, f-firstMutationField)
		}
		switch {
		case !r.bad:
		case f == 0:
			badSource = true
		case f < firstMutationField:
			badOther = true
		default:
			badMutation = true
		}
		r.bad = false
		return err
	})
	if cap(positions) > cap(r.positions) {
		r.positions = positions[:0]
	}
	if err != nil || r.bad || badSource {
		return Event{}, false, err
	}
	e.Source = source
	if source == sourceMutation {
		if badMutation {
			return Event{}, false, nil
		}
		mp := new(mutation)
		*mp = m
		return Event{Source: source, Mutation: mp}, true, nil
	}
	if badOther {
		return Event{}, false, nil
	}
	e.Interaction = interaction
	if len(positions) > 0 {
		e.Positions = make([]Position, 0, len(positions))
	}
	for _, p := range positions {
		e.Positions = append(e.Positions, Position{X: p.x, Y: p.y, TimeOffset: int64(p.timeOffset)})
	}
	e.Selection = ranges > 0
	return e, true, nil
}

// interaction reads a MouseInteraction's type, which null unsets.
func (r *reader) interaction(p *int) error {
	if r.Peek() == 'n' {
		*p = 0
		return r.Literal("null")
	}
	return r.int(p)
}

func (r *reader) position(p *wirePos) error {
	return r.object(positionFields, func(f int) error {
		return r.float([]*float64{&p.x, &p.y, &p.timeOffset}[f])
	})
}

// count reads an array of anything for its length: null has none.
func (r *reader) count(n *int) error {
	switch r.Peek() {
	case '[':
	case 'n':
		*n = 0
		return r.Literal("null")
	default:
		return r.mismatch()
	}
	if err := r.open(); err != nil {
		return err
	}
	*n = 0
	for more, err := r.next(']', true); ; more, err = r.next(']', false) {
		if err != nil || !more {
			return err
		}
		if err := r.skip(); err != nil {
			return err
		}
		*n++
	}
}
