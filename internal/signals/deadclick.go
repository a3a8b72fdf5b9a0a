package signals

import "github.com/playhead/playhead/internal/store"

// deadClicks finds clicks on elements that look interactive (links,
// buttons, form controls, clickable roles, onclick, a pointer cursor)
// that the page does not answer within Config.DeadClickWait: no DOM
// change, navigation, scroll, focus change, selection, input or request.
// Repeated clicks on the same element make one dead click with a count.
type deadClicks struct {
	waiting []deadClick
}

type deadClick struct {
	ts    int64
	count int
	url   string
	on    target
}

func (d *deadClicks) observe(w *Window, e *Event) {
	wait := w.cfg.DeadClickWait.Milliseconds()
	kept := d.waiting[:0]
	for _, c := range d.waiting {
		if e.Timestamp-c.ts > wait {
			w.emit(c.signal())
		} else {
			kept = append(kept, c)
		}
	}
	d.waiting = kept
	if answers(e) {
		d.waiting = d.waiting[:0]
		return
	}
	if !e.isClick() {
		return
	}
	id, ok := w.dom.interactive(e.ID)
	if !ok || w.dom.nodes[id].blank {
		return // not meant to do anything here, or opens another tab
	}
	// A click into a field gets it the focus, which the recording shows
	// ahead of the click (on mousedown), and what is typed comes only as
	// the field is left.
	if w.dom.isField(id) {
		return
	}
	if n := len(d.waiting); n > 0 && d.waiting[n-1].on.id == id {
		d.waiting[n-1].count++
		return
	}
	d.waiting = append(d.waiting, deadClick{ts: e.Timestamp, count: 1, url: w.url, on: w.clickTarget(e)})
}

func (c deadClick) signal() store.Signal {
	s := c.on.signal(store.SignalDeadClick, c.ts)
	s.URL, s.Count = c.url, c.count
	return s
}

// pending reports the clicks still waiting: if the recording ends here,
// nothing answered them.
func (d *deadClicks) pending(w *Window, emit func(store.Signal)) {
	for _, c := range d.waiting {
		emit(c.signal())
	}
}
