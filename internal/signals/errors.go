package signals

import (
	"fmt"

	"github.com/playhead/playhead/internal/store"
)

// maxPerKind bounds the signals of one kind in a window: a page that fails
// in a loop is one story, not five hundred.
const maxPerKind = 50

// errorsAndRequests reports JS errors (uncaught errors, unhandled
// rejections, console.error), failed requests (status 400 and above, or
// no answer; not those the page aborted) and slow requests (at least
// Config.SlowRequest).
type errorsAndRequests struct {
	counts map[string]int
}

func (d *errorsAndRequests) observe(w *Window, e *Event) {
	switch {
	case e.Error != nil && e.Error.Kind != "console.warn":
		s := store.Signal{Kind: store.SignalJSError, Time: msTime(e.Timestamp), Detail: bound(e.Error.Message)}
		d.emit(w, s)
	case e.Request != nil:
		r := e.Request
		detail := bound(fmt.Sprintf("%s %s → %s", r.Method, r.URL, status(r)))
		if requestFailed(r) {
			d.emit(w, store.Signal{Kind: store.SignalFailedRequest, Time: msTime(e.Timestamp), Value: float64(r.Status), Detail: detail})
		}
		if r.Duration >= float64(w.cfg.SlowRequest.Milliseconds()) {
			d.emit(w, store.Signal{Kind: store.SignalSlowRequest, Time: msTime(e.Timestamp), Value: r.Duration, Detail: detail})
		}
	}
}

func (d *errorsAndRequests) emit(w *Window, s store.Signal) {
	if d.counts == nil {
		d.counts = map[string]int{}
	}
	if d.counts[s.Kind] < maxPerKind {
		d.counts[s.Kind]++
		w.emit(s)
	}
}

func status(r *RequestPayload) string {
	switch {
	case r.Status > 0:
		return fmt.Sprint(r.Status)
	case r.Failure != "":
		return r.Failure + " failure"
	}
	return "no answer"
}

func (d *errorsAndRequests) pending(*Window, func(store.Signal)) {}
