package signals

import "github.com/playhead/playhead/internal/store"

// rageClicks finds bursts of clicks on one spot that the page does not
// answer: at least Config.RageClicks clicks, each within RageInterval of
// the one before, within RageRadius of the first. A burst is no rage
// click when the page answered most of its clicks (a stepper whose number
// changes on each click) or when it selected text (a triple click).
type rageClicks struct {
	clicks   []burstClick
	answered int  // clicks followed by an answer before the next click
	changed  bool // the page answered since the latest click
	selected bool // text was selected during the burst
	url      string
}

type burstClick struct {
	ts   int64
	x, y float64
	on   target
}

func (r *rageClicks) observe(w *Window, e *Event) {
	if n := len(r.clicks); n > 0 && e.Timestamp-r.clicks[n-1].ts > w.cfg.RageInterval.Milliseconds() {
		r.end(w)
	}
	switch {
	case e.isClick():
		if len(r.clicks) > 0 && distance(r.clicks[0].x, r.clicks[0].y, e.X, e.Y) > w.cfg.RageRadius {
			r.end(w)
		}
		if len(r.clicks) == 0 {
			r.url = w.url
		} else if r.changed {
			r.answered++
		}
		r.clicks = append(r.clicks, burstClick{e.Timestamp, e.X, e.Y, w.clickTarget(e)})
		r.changed = false
	case e.Type == typeIncremental && e.Source == sourceSelection:
		r.selected = r.selected || e.Selection
	case answers(e):
		r.changed = true
	}
}

func (r *rageClicks) end(w *Window) {
	if s, ok := r.signal(w); ok {
		w.emit(s)
	}
	*r = rageClicks{clicks: r.clicks[:0]}
}

func (r *rageClicks) signal(w *Window) (store.Signal, bool) {
	n := len(r.clicks)
	answered := r.answered
	if r.changed {
		answered++
	}
	if n < w.cfg.RageClicks || r.selected || 2*answered >= n {
		return store.Signal{}, false
	}
	first := r.clicks[0]
	s := first.on.signal(store.SignalRageClick, first.ts)
	s.URL, s.Count, s.Value = r.url, n, float64(r.clicks[n-1].ts-first.ts)
	return s, true
}

func (r *rageClicks) pending(w *Window, emit func(store.Signal)) {
	if s, ok := r.signal(w); ok {
		emit(s)
	}
}
