package signals

import (
	"time"

	"github.com/playhead/playhead/internal/store"
)

// enterSubmit is how soon after the last keystroke a page change is taken
// for a form sent with the Enter key: the recording has no submit event,
// and Enter changes no field.
const enterSubmit = 2 * time.Second

// forms follows the first form typed into on each page. Leaving the page
// (or the recording ending) after typing into it without sending it is a
// form abandonment; sending it more than Config.SlowForm after the first
// input is a slow form. A form is sent by a click on its submit control
// (any button, for fields outside a form) or by a page change right after
// typing (Enter) with the focus still in a field.
//
// The recorder sends a field's value when the field loses focus, so the
// last input event comes just before the click that takes the visitor
// elsewhere: a click on anything but a field after typing says the page
// change that follows was not Enter. And the first input event comes as
// the first field is left: filling in the form began when that field got
// the focus.
type forms struct {
	pages     int // pages of the window seen so far
	form      int // the form typed into; -1 for fields outside any form
	field     int // the first field typed into
	url       string
	started   int64 // the focus of the first field typed into, or its first input; 0 before any
	lastInput int64
	focused   int // the field focused last, and when
	focusedAt int64
	away      bool // the last click since typing was not on a field
	submitted bool
}

func (f *forms) observe(w *Window, e *Event) {
	if n := len(w.pages); n != f.pages {
		if f.started != 0 && !f.submitted && (f.away || e.Timestamp-f.lastInput > enterSubmit.Milliseconds()) {
			w.emit(f.abandoned(w))
		}
		*f = forms{pages: n}
	}
	switch {
	case e.Type == typeIncremental && e.Source == sourceInput:
		if f.started == 0 {
			f.form, f.field, f.url, f.started = w.dom.inForm(e.ID), e.ID, w.url, e.Timestamp
			if f.form == 0 {
				f.form = -1
			}
			if f.focused == e.ID {
				f.started = f.focusedAt
			}
		}
		f.lastInput = e.Timestamp
	case e.Type == typeIncremental && e.Source == sourceMouseInteraction && e.Interaction == interactionFocus:
		f.focused, f.focusedAt = e.ID, e.Timestamp
	case e.isClick() && f.started != 0 && !f.submitted && f.sends(w, e.ID):
		f.submitted = true
		if took := e.Timestamp - f.started; took > w.cfg.SlowForm.Milliseconds() {
			s := w.target(e.ID).signal(store.SignalSlowForm, f.started)
			s.URL, s.Value = f.url, float64(took)
			w.emit(s)
		}
	case e.isClick() && f.started != 0:
		f.away = !w.dom.isField(e.ID)
	}
}

// sends tells whether a click on id sends the form being filled in.
func (f *forms) sends(w *Window, id int) bool {
	if f.form > 0 {
		return w.dom.isSubmit(id) && w.dom.inForm(id) == f.form
	}
	el, ok := w.dom.interactive(id)
	if !ok {
		return false
	}
	n := w.dom.nodes[el]
	return n.tag == "button" || n.role == "button" || (n.tag == "input" && (n.typ == "submit" || n.typ == "button"))
}

func (f *forms) abandoned(w *Window) store.Signal {
	on := f.field
	if f.form > 0 {
		on = f.form
	}
	s := store.Signal{Kind: store.SignalFormAbandon, Time: msTime(f.started), URL: f.url, Selector: w.dom.selector(on)}
	s.Value = float64(f.lastInput - f.started)
	return s
}

func (f *forms) pending(w *Window, emit func(store.Signal)) {
	if f.started != 0 && !f.submitted {
		emit(f.abandoned(w))
	}
}
