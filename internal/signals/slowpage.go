package signals

import (
	"fmt"

	"github.com/playhead/playhead/internal/store"
)

// slowPages reports a page whose Largest Contentful Paint or Interaction
// to Next Paint is in Google's "poor" range (Config.SlowLCP,
// Config.SlowINP), once per page.
type slowPages struct {
	page int // pages of the window when the latest was reported, +1
}

func (d *slowPages) observe(w *Window, e *Event) {
	v := e.Vital
	if v == nil || d.page == len(w.pages) {
		return
	}
	var limit float64
	switch v.Name {
	case "LCP":
		limit = float64(w.cfg.SlowLCP.Milliseconds())
	case "INP":
		limit = float64(w.cfg.SlowINP.Milliseconds())
	default:
		return
	}
	if v.Value <= limit {
		return
	}
	d.page = len(w.pages)
	w.emit(store.Signal{Kind: store.SignalSlowPage, Time: msTime(e.Timestamp), Value: v.Value,
		Detail: fmt.Sprintf("%s %.0f ms", v.Name, v.Value)})
}

func (d *slowPages) pending(*Window, func(store.Signal)) {}
