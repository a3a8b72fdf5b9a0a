package signals

import "github.com/playhead/playhead/internal/store"

// scrolling finds someone scrolling up and down a page as if hunting for
// something: at least Config.ScrollReversals reversals of direction within
// Config.ScrollWindow, over at least ScrollScreens viewport heights in
// all. One episode is one signal.
type scrolling struct {
	id    int // the element scrolled; another one starts over
	y     float64
	dir   int
	moves []scrollMove // within the window
	seen  bool
	quiet int64 // no new episode before this
}

type scrollMove struct {
	at       int64
	distance float64
	reversal bool
}

// defaultViewportHeight stands in until the recording says.
const defaultViewportHeight = 800

func (s *scrolling) observe(w *Window, e *Event) {
	if e.Type == typeMeta || e.Type == typeFullSnapshot {
		*s = scrolling{quiet: s.quiet}
		return
	}
	if e.Type != typeIncremental || e.Source != sourceScroll {
		return
	}
	if !s.seen || e.ID != s.id {
		s.id, s.y, s.dir, s.moves, s.seen = e.ID, e.Y, 0, s.moves[:0], true
		return
	}
	delta := e.Y - s.y
	s.y = e.Y
	if delta == 0 {
		return
	}
	dir := 1
	if delta < 0 {
		dir, delta = -1, -delta
	}
	move := scrollMove{at: e.Timestamp, distance: delta, reversal: s.dir != 0 && dir != s.dir}
	s.dir = dir
	window := w.cfg.ScrollWindow.Milliseconds()
	keep := s.moves[:0]
	for _, m := range s.moves {
		if e.Timestamp-m.at <= window {
			keep = append(keep, m)
		}
	}
	s.moves = append(keep, move)
	reversals, distance := 0, 0.0
	for _, m := range s.moves {
		distance += m.distance
		if m.reversal {
			reversals++
		}
	}
	height := float64(w.height)
	if height <= 0 {
		height = defaultViewportHeight
	}
	if reversals >= w.cfg.ScrollReversals && distance >= w.cfg.ScrollScreens*height && e.Timestamp >= s.quiet {
		w.emit(store.Signal{Kind: store.SignalExcessiveScroll, Time: msTime(s.moves[0].at), Count: reversals, Value: distance})
		s.moves = s.moves[:0]
		s.quiet = e.Timestamp + window
	}
}

func (s *scrolling) pending(*Window, func(store.Signal)) {}
