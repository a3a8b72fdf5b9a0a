package signals

import "github.com/playhead/playhead/internal/store"

// errorClicks finds clicks followed within Config.ErrorClickWait by an
// uncaught error or unhandled rejection: the click broke something.
type errorClicks struct {
	last     int64 // timestamp of the latest click
	on       target
	url      string
	reported bool // the latest click has its error click
}

func (c *errorClicks) observe(w *Window, e *Event) {
	switch {
	case e.isClick():
		c.last, c.on, c.url, c.reported = e.Timestamp, w.clickTarget(e), w.url, false
	case e.Error != nil && (e.Error.Kind == "error" || e.Error.Kind == "rejection"):
		if c.last == 0 || c.reported || e.Timestamp < c.last || e.Timestamp-c.last > w.cfg.ErrorClickWait.Milliseconds() {
			return
		}
		s := c.on.signal(store.SignalErrorClick, c.last)
		s.URL, s.Detail = c.url, bound(e.Error.Message)
		w.emit(s)
		c.reported = true
	}
}

func (c *errorClicks) pending(*Window, func(store.Signal)) {}
