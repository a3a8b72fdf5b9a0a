package signals

import "github.com/playhead/playhead/internal/store"

// quickBacks finds u-turns: the visitor goes from page A to page B and is
// back on A within Config.QuickBack — B was not what they wanted.
type quickBacks struct {
	pages int // pages of the window seen so far
}

func (q *quickBacks) observe(w *Window, e *Event) {
	n := len(w.pages)
	if n == q.pages {
		return
	}
	q.pages = n
	if n < 3 {
		return
	}
	a, b, back := w.pages[n-3], w.pages[n-2], w.pages[n-1]
	stay := back.Start.Sub(b.Start)
	if !samePage(a.URL, back.URL) || samePage(a.URL, b.URL) || stay > w.cfg.QuickBack {
		return
	}
	w.emit(store.Signal{Kind: store.SignalQuickBack, Time: b.Start, URL: b.URL,
		Value: float64(stay.Milliseconds()), Detail: "back to " + bound(a.URL)})
}

func (q *quickBacks) pending(*Window, func(store.Signal)) {}
