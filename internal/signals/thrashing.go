package signals

import (
	"sort"

	"github.com/playhead/playhead/internal/store"
)

// thrashing finds a cursor shaken back and forth: at least
// Config.ThrashReversals reversals of direction, along either axis, within
// Config.ThrashWindow, each ending a stroke of at least ThrashDistance
// pixels moved at ThrashSpeed px/s or faster. One episode is one signal;
// the next needs a calm ThrashWindow first.
type thrashing struct {
	x, y      stroke
	reversals []int64 // times of qualifying reversals within the window
	lastAt    int64   // the latest sample's time
	quietFrom int64   // after an episode, no new one before this
}

// stroke follows movement along one axis.
type stroke struct {
	pos      float64
	dir      int     // -1, 0 (none yet), +1
	length   float64 // distance of the current stroke
	start    int64   // time it started
	hasPoint bool
}

// move takes a sample and reports whether it reversed a fast, long stroke.
func (s *stroke) move(pos float64, at int64, minLength, minSpeed float64) bool {
	if !s.hasPoint {
		s.pos, s.start, s.hasPoint = pos, at, true
		return false
	}
	delta := pos - s.pos
	s.pos = pos
	dir := 0
	switch {
	case delta > 0:
		dir = 1
	case delta < 0:
		dir = -1
	default:
		return false
	}
	reversed := false
	if s.dir != 0 && dir != s.dir {
		secs := float64(at-s.start) / 1000
		reversed = s.length >= minLength && secs > 0 && s.length/secs >= minSpeed
		s.length, s.start = 0, at
	}
	s.dir = dir
	if delta < 0 {
		delta = -delta
	}
	s.length += delta
	return reversed
}

func (t *thrashing) observe(w *Window, e *Event) {
	if e.Type != typeIncremental || (e.Source != sourceMouseMove && e.Source != sourceTouchMove) {
		return
	}
	samples := append([]Position(nil), e.Positions...)
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].TimeOffset < samples[j].TimeOffset })
	window := w.cfg.ThrashWindow.Milliseconds()
	for _, p := range samples {
		at := e.Timestamp + p.TimeOffset
		if at < t.lastAt {
			continue
		}
		if at-t.lastAt > window {
			// A pause ends any stroke.
			t.x, t.y = stroke{}, stroke{}
		}
		t.lastAt = at
		rx := t.x.move(p.X, at, w.cfg.ThrashDistance, w.cfg.ThrashSpeed)
		ry := t.y.move(p.Y, at, w.cfg.ThrashDistance, w.cfg.ThrashSpeed)
		if !rx && !ry {
			continue
		}
		keep := t.reversals[:0]
		for _, r := range t.reversals {
			if at-r <= window {
				keep = append(keep, r)
			}
		}
		t.reversals = append(keep, at)
		if len(t.reversals) >= w.cfg.ThrashReversals && at >= t.quietFrom {
			s := store.Signal{Kind: store.SignalThrashingCursor, Time: msTime(t.reversals[0]),
				Count: len(t.reversals), Value: float64(at - t.reversals[0])}
			w.emit(s)
			t.reversals = t.reversals[:0]
			t.quietFrom = at + window
		}
	}
}

func (t *thrashing) pending(*Window, func(store.Signal)) {}
