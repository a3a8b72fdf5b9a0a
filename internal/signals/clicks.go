package signals

import (
	"math"

	"github.com/playhead/playhead/internal/store"
)

// answers tells whether an event shows the page reacting to the visitor:
// the DOM changed, the page changed or scrolled, focus or selection moved,
// or a request went out.
func answers(e *Event) bool {
	switch {
	case e.Type == typeMeta, e.Type == typeFullSnapshot, e.Page != nil, e.Request != nil:
		return true
	case e.Type != typeIncremental:
		return false
	case e.Source == sourceMouseInteraction:
		return e.Interaction == interactionFocus || e.Interaction == interactionBlur
	case e.Source == sourceMutation:
		m := e.Mutation
		return m != nil && len(m.Adds)+len(m.Removes)+len(m.Texts)+len(m.Attributes) > 0
	}
	return e.Source == sourceScroll || e.Source == sourceSelection || e.Source == sourceInput
}

// target is the element a click was on, as seen when it happened.
type target struct {
	id             int // the clickable element, or the clicked one
	selector, text string
}

// clickTarget is the target of the click e, the event being fed.
func (w *Window) clickTarget(e *Event) target {
	if !w.clickSet {
		w.click, w.clickSet = w.target(e.ID), true
	}
	return w.click
}

func (w *Window) target(id int) target {
	if el, ok := w.dom.interactive(id); ok {
		id = el
	} else {
		id = w.dom.elementOf(id)
	}
	return target{id: id, selector: w.dom.selector(id), text: w.dom.text(id)}
}

func (t target) signal(kind string, ts int64) store.Signal {
	s := store.Signal{Kind: kind, Selector: t.selector, Text: t.text}
	s.Time = msTime(ts)
	return s
}

func distance(x1, y1, x2, y2 float64) float64 { return math.Hypot(x2-x1, y2-y1) }
