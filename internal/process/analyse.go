package process

import (
	"container/list"
	"context"
	"errors"
	"fmt"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/signals"
	"github.com/playhead/playhead/internal/store"
)

// Events reads the stored events of the log's batches, for the analysis.
type Events interface {
	// BatchJSON returns the events of the batch at position id as a
	// JSON array (nil when they cannot be read), or store.ErrReleased
	// once they are only in chunks.
	BatchJSON(ctx context.Context, id int64) ([]byte, error)
	// WindowBatches calls fn with a window's events in seq order, as JSON
	// arrays: its chunks' (all of them, whatever upto), then those of its
	// batches not compacted and logged at or before position upto. seq is
	// the last seq a call completes and id the newest log position among
	// its batches.
	WindowBatches(ctx context.Context, project int64, session, window string, upto int64,
		fn func(seq, id int64, events []byte) error) error
}

// maxAnalysisBytes bounds the windows kept in memory between steps; one
// evicted is read again from the log when its next batch comes.
const maxAnalysisBytes = 128 << 20

type windowKey struct {
	project         int64
	session, window string
}

// analysis is one window's fold, the seq of the batch it expects next and
// the newest log position it has folded.
type analysis struct {
	key     windowKey
	w       *signals.Window
	next    int64
	upto    int64
	size    int
	skipped int // batches that could not be analysed
}

// analyser keeps the windows being analysed, least recently used first
// out when over its byte budget.
type analyser struct {
	events Events
	config func(project int64) signals.Config

	windows map[windowKey]*list.Element
	order   list.List // of *analysis, most recent at the front
	bytes   int

	parsed []signals.Event // reused by every batch's reading
}

func newAnalyser(events Events, config func(int64) signals.Config) *analyser {
	if config == nil {
		config = func(int64) signals.Config { return signals.DefaultConfig }
	}
	return &analyser{events: events, config: config, windows: map[windowKey]*list.Element{}}
}

// analyse folds the events of the batches hs, in log order, into their
// windows' analyses and sets each window's in updates (one per window, as
// Fold makes them).
func (a *analyser) analyse(ctx context.Context, hs []batch.Header, updates []store.SessionUpdate) error {
	for _, h := range hs {
		if err := a.add(ctx, h); err != nil {
			return err
		}
	}
	// A window's analysis goes with its last update of the step: one
	// before it, in an earlier part of a split session, keeps the
	// analysis it had.
	done := map[windowKey]bool{}
	for i := len(updates) - 1; i >= 0; i-- {
		u := &updates[i]
		k := windowKey{u.Project, u.Session, u.Window}
		if e := a.windows[k]; e != nil && !done[k] {
			u.Analysis = e.Value.(*analysis).w.Analysis()
			done[k] = true
		}
	}
	a.trim()
	return nil
}

// add folds one batch in. A window's batches are folded in seq order: one
// that comes out of turn (a retry after a gap, a window evicted meanwhile)
// has its window folded again from its first batch, so that the analysis
// is the same however the batches arrived.
func (a *analyser) add(ctx context.Context, h batch.Header) error {
	key := windowKey{h.Project, h.Session, h.Window}
	var an *analysis
	if e := a.windows[key]; e != nil {
		an = e.Value.(*analysis)
		a.order.MoveToFront(e)
	}
	if an != nil && h.ID <= an.upto && h.Seq < an.next {
		// Folded already: from a chunk that holds later batches than the
		// one that had the window folded (the index being rebuilt), or in
		// a step that is being retried.
		return nil
	}
	fold := an == nil || an.next != h.Seq
	if !fold {
		raw, err := a.events.BatchJSON(ctx, h.ID)
		switch {
		case errors.Is(err, store.ErrReleased):
			fold = true // only in chunks now: fold the window from them
		case err != nil:
			return err
		default:
			a.feed(an, raw)
			an.next, an.upto = h.Seq+1, h.ID
		}
	}
	if fold {
		an = &analysis{key: key, w: signals.NewWindow(h.Window, a.config(h.Project))}
		err := a.events.WindowBatches(ctx, h.Project, h.Session, h.Window, h.ID, func(seq, id int64, raw []byte) error {
			an.next, an.upto = seq+1, max(an.upto, id)
			a.feed(an, raw)
			return nil
		})
		if err != nil {
			return fmt.Errorf("window %s/%s: %w", h.Session, h.Window, err)
		}
		if e := a.windows[key]; e != nil {
			a.bytes -= e.Value.(*analysis).size
			e.Value = an
		} else {
			a.windows[key] = a.order.PushFront(an)
		}
	}
	a.bytes -= an.size
	an.size = an.w.Size()
	a.bytes += an.size
	return nil
}

// feed folds one JSON array of events in (nil for a batch that could not
// be read). A batch that cannot be read, or that trips a detector, is left
// out of the analysis rather than holding up the index: the same batch is
// left out every time, so the analysis stays the same however often it is
// made.
func (a *analyser) feed(an *analysis, raw []byte) {
	defer func() {
		if recover() != nil {
			an.skipped++
		}
	}()
	if raw == nil {
		an.skipped++
		return
	}
	events, err := signals.AppendEvents(a.parsed[:0], raw)
	defer func() {
		// Cleared, so that the slice holds on to no batch's nodes and
		// positions (after an error, on to what was read before it); a
		// rare giant batch's is not kept.
		if err != nil {
			events = events[:cap(events)]
		}
		clear(events)
		if cap(events) <= maxReusedEvents {
			a.parsed = events[:0]
		}
	}()
	if err != nil {
		an.skipped++
		return
	}
	an.w.Feed(events)
}

// maxReusedEvents bounds the events slice kept between batches (about
// 200 bytes an event).
const maxReusedEvents = 4096

// trim drops the least recently used windows over the budget.
func (a *analyser) trim() {
	for a.bytes > maxAnalysisBytes && a.order.Len() > 0 {
		e := a.order.Back()
		an := e.Value.(*analysis)
		a.order.Remove(e)
		delete(a.windows, an.key)
		a.bytes -= an.size
	}
}

// forget drops the windows of the sessions that erased picks.
func (a *analyser) forget(erased func(project int64, session string) bool) {
	for key, e := range a.windows {
		if erased(key.project, key.session) {
			a.order.Remove(e)
			delete(a.windows, key)
			a.bytes -= e.Value.(*analysis).size
		}
	}
}
