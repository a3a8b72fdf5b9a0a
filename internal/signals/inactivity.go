package signals

import "github.com/playhead/playhead/internal/store"

// inactivity reports stretches of at least Config.LongInactivity without
// input, which the player shades and skips.
type inactivity struct {
	last int64 // the latest input
	url  string
}

func (d *inactivity) observe(w *Window, e *Event) {
	if !e.isInput() {
		return
	}
	if s, ok := d.gap(w, e.Timestamp); ok {
		w.emit(s)
	}
	d.last, d.url = max(d.last, e.Timestamp), w.url
}

func (d *inactivity) gap(w *Window, until int64) (store.Signal, bool) {
	if d.last == 0 || until-d.last < w.cfg.LongInactivity.Milliseconds() {
		return store.Signal{}, false
	}
	return store.Signal{Kind: store.SignalInactivity, Time: msTime(d.last), URL: d.url, Value: float64(until - d.last)}, true
}

// pending reports the stretch from the latest input to the latest event.
func (d *inactivity) pending(w *Window, emit func(store.Signal)) {
	if s, ok := d.gap(w, w.last); ok {
		emit(s)
	}
}
