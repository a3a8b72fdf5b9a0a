// Package process assembles sessions from the durable log: it reads
// batches in log order and folds what they tell (time span, windows, page
// loads, browser) into the sessions index. It runs behind ingest, so
// acknowledging a batch never waits for it.
package process

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/signals"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/useragent"
)

// Log is the durable log, read in order.
type Log interface {
	// BatchesAfter returns up to limit headers after position after,
	// fewer once they exceed maxBytes.
	BatchesAfter(ctx context.Context, after int64, limit, maxBytes int) ([]batch.Header, error)
	// Commits is signalled after new batches are committed.
	Commits() <-chan struct{}
	// Backlog says how many batches follow position after, and when the
	// first of them was received (zero when none does).
	Backlog(ctx context.Context, after int64) (batches int64, oldest time.Time, err error)
}

// Index is where sessions are kept. ApplySessionUpdates must store the
// updates and the new position atomically.
type Index interface {
	Processed(ctx context.Context, name string) (int64, error)
	ApplySessionUpdates(ctx context.Context, name string, upto int64, updates []store.SessionUpdate) error
}

// Name identifies the processor's position in the log.
const Name = "sessions"

// A step folds at most step batches, and stops early once their headers
// (pages and user agents) pass stepBytes, so that one step's memory is
// bounded whatever the batches hold.
const (
	step      = 1000
	stepBytes = 8 << 20
)

// Under load the processor steps less often: what a step costs is mostly
// per window it touches (the window's analysis rewritten, its session's
// aggregates and search text recomputed, one commit), so a step that folds
// a second of a busy window's batches costs little more than one that
// folds one of them. A catch-up that folded at least busyBatches says that
// batches keep coming; then the next step waits for BusyGather, or until
// gatherBatches wait, whichever comes first. gatherBatches stays within
// what the log keeps of ingest's checked events (64 MiB of buffers of
// 20–60 KB): past it the processor would read batches back from the log.
//
// While the log's writer commits burstBusy of the time or more, ingest is
// near what it can take: then the processor leaves the CPU to it, as long
// as the oldest batch waiting is younger than MaxLag, and catches up at
// full speed after the burst. In a longer burst it folds at full speed
// whatever is older than MaxLag; if it folds more slowly than ingest
// takes batches in, the lag still grows, as it did before it yielded at
// all. Batches past gatherBatches are read back from the log,
// which costs a fifth more CPU a batch than folding them while the log
// still keeps them: yielding moves the processor's CPU to after the
// burst, and adds to it.
const (
	busyBatches   = 64
	gatherBatches = step
	gatherPoll    = 100 * time.Millisecond
	burstBusy     = 0.75
)

// writeClock is what a Log may also tell: how long its writer has spent
// committing since it opened. Without it there is no burst to yield to.
type writeClock interface {
	WriteTime() time.Duration
}

// Processor keeps the sessions index up to date with the log. Run it once;
// Health and Collectors report on it meanwhile.
type Processor struct {
	Log    Log
	Index  Index
	Logger *slog.Logger
	// Poll is how often the log is read when no commit was signalled
	// (another process may write it too).
	Poll time.Duration
	// Gather is how long the processor lets batches gather after a
	// commit before it reads them: one transaction for many batches
	// costs the ingest path's single writer much less than many small
	// ones, for a session list that lags by about this much.
	Gather time.Duration
	// BusyGather is how long batches gather while they keep coming
	// (1 s when zero): the session list and its signals then lag by
	// about this much, and each batch costs the processor less.
	BusyGather time.Duration
	// MaxLag bounds how far behind the processor lets itself fall while
	// it yields to a burst of ingest (10 s when zero): past it, it folds
	// the oldest batches waiting whatever the load.
	MaxLag time.Duration
	// Events, if set, is read to analyse each window's events: its
	// facts and signals. Without it only the batches' headers are folded.
	Events Events
	// Config gives a project's thresholds; nil means the defaults.
	Config func(project int64) signals.Config

	// Hold, if set, is held shared by each step, and exclusively by an
	// erasure (Erase), so that a step never brings back a session erased
	// while it ran. The compactor holds it too.
	Hold *sync.RWMutex

	analyser *analyser
	meter    burstMeter // Run's

	// Stall is how long the processor may stay behind the log without
	// moving before Health reports it stalled (30 s when zero).
	Stall time.Duration

	state state
}

// orPositive is d, or def where d is not positive.
func orPositive(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run processes the log until ctx is done. A failing step is retried with
// a growing pause, and the failure logged once, not at every retry.
func (p *Processor) Run(ctx context.Context) error {
	poll := orPositive(p.Poll, time.Second)
	gather := orPositive(p.Gather, 100*time.Millisecond)
	busyGather := orPositive(p.BusyGather, time.Second)
	maxLag := orPositive(p.MaxLag, 10*time.Second)
	p.state.start(time.Now())
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var pause time.Duration
	for {
		started := time.Now()
		folded, err := p.catchUp(ctx, maxLag)
		if ctx.Err() != nil {
			return nil
		}
		p.record(err)
		if err != nil {
			pause = backoff(pause)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		select {
		case <-ctx.Done():
			return nil
		case <-p.Log.Commits():
		case <-ticker.C:
		}
		if folded >= busyBatches {
			p.gather(ctx, started, busyGather, maxLag)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(gather):
		}
	}
}

// gather waits, while batches keep coming, until busyGather after the
// last step started or until gatherBatches wait, and then as long as the
// processor yields to a burst. An erasure waiting for the index (Settle)
// cuts it short.
func (p *Processor) gather(ctx context.Context, started time.Time, busyGather, maxLag time.Duration) {
	upto, _ := p.state.position()
	for !p.state.hurried() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(gatherPoll):
		}
		// A failing read leaves it to the deadline; the step reports it.
		n, oldest, err := p.Log.Backlog(ctx, upto)
		if err == nil && p.burst() && young(oldest, maxLag) {
			continue
		}
		if time.Since(started) >= busyGather || err == nil && n >= gatherBatches {
			return
		}
	}
}

// yielding says whether the processor leaves the CPU to ingest for now:
// the log's writer has committed at least burstBusy of the time since the
// last look, and the oldest batch waiting was received less than maxLag
// ago. Nobody waits on an erasure meanwhile.
func (p *Processor) yielding(ctx context.Context, upto int64, maxLag time.Duration) bool {
	if !p.burst() {
		return false
	}
	_, oldest, err := p.Log.Backlog(ctx, upto)
	return err == nil && young(oldest, maxLag)
}

// young says whether the oldest batch waiting arrived less than maxLag ago.
func young(oldest time.Time, maxLag time.Duration) bool {
	return !oldest.IsZero() && time.Since(oldest) < maxLag
}

// burst says whether ingest is near what it can take and no erasure waits.
func (p *Processor) burst() bool {
	return !p.state.hurried() && p.meter.look(p.Log, time.Now()) >= burstBusy
}

// burstMeter follows the share of time the log's writer spends committing.
type burstMeter struct {
	wrote time.Duration
	at    time.Time
	busy  float64
}

// look returns the share since the previous look, or the share it
// returned then if that was less than gatherPoll ago; 0 for a log that
// does not tell.
func (m *burstMeter) look(log Log, now time.Time) float64 {
	clock, ok := log.(writeClock)
	if !ok || now.Sub(m.at) < gatherPoll {
		return m.busy
	}
	w := clock.WriteTime()
	if !m.at.IsZero() {
		m.busy = float64(w-m.wrote) / float64(now.Sub(m.at))
	}
	m.wrote, m.at = w, now
	return m.busy
}

// catchUp steps until a step finds less than a full step's worth, or
// until the processor yields to a burst, and says how many batches it
// folded. A step cut short by stepBytes ends it too: the next commit or
// poll resumes.
func (p *Processor) catchUp(ctx context.Context, maxLag time.Duration) (folded int, err error) {
	upto, ok := p.state.position()
	if !ok {
		if upto, err = p.Index.Processed(ctx, Name); err != nil {
			return 0, fmt.Errorf("read the processed position: %w", err)
		}
		p.state.moved(upto, time.Now())
	}
	for {
		next, n, err := p.Step(ctx, upto)
		if err != nil {
			return folded, err
		}
		folded += n
		upto = next
		p.state.moved(upto, time.Now())
		if n < step || p.yielding(ctx, upto, maxLag) {
			return folded, nil
		}
	}
}

// Step folds the batches after position upto into the index and returns
// the new position and how many batches it read. A panic while folding is
// returned as an error: one bad batch must not take the server down.
func (p *Processor) Step(ctx context.Context, upto int64) (next int64, n int, err error) {
	if p.Hold != nil {
		p.Hold.RLock()
		defer p.Hold.RUnlock()
	}
	defer func() {
		if r := recover(); r != nil {
			next, n, err = upto, 0, fmt.Errorf("panic folding the batches after %d: %v", upto, r)
		}
	}()
	hs, err := p.Log.BatchesAfter(ctx, upto, step, stepBytes)
	if err != nil {
		return upto, 0, err
	}
	if len(hs) == 0 {
		return upto, 0, nil
	}
	updates := Fold(hs)
	if p.Events != nil {
		if p.analyser == nil {
			p.analyser = newAnalyser(p.Events, p.Config)
		}
		if err := p.analyser.analyse(ctx, hs, updates); err != nil {
			return upto, 0, fmt.Errorf("analyse batches %d to %d: %w", hs[0].ID, hs[len(hs)-1].ID, err)
		}
	}
	last := hs[len(hs)-1].ID
	if err := p.Index.ApplySessionUpdates(ctx, Name, last, updates); err != nil {
		return upto, 0, fmt.Errorf("apply batches %d to %d: %w", hs[0].ID, last, err)
	}
	return last, len(hs), nil
}

// Settle waits until the index holds every batch the log received before
// since, so that an erasure by user finds the sessions acknowledged just
// before it was asked. It returns at once when Run is not running: nothing
// would move the index then.
func (p *Processor) Settle(ctx context.Context, since time.Time) error {
	p.state.hurry(true)
	defer p.state.hurry(false)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		p.state.mu.Lock()
		running, known, upto := p.state.running, p.state.known, p.state.upto
		p.state.mu.Unlock()
		if !running {
			return nil
		}
		if known {
			n, oldest, err := p.Log.Backlog(ctx, upto)
			if err != nil {
				return fmt.Errorf("read the backlog: %w", err)
			}
			if n == 0 || !oldest.Before(since) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Erase runs erase while no step runs (with Hold held), then forgets the
// windows' analyses kept in memory of the recorder's sessions that the
// predicate it returns picks, so that a batch of one arriving later
// starts a new session from nothing.
func (p *Processor) Erase(erase func() (erased func(project int64, session string) bool, err error)) error {
	if p.Hold != nil {
		p.Hold.Lock()
		defer p.Hold.Unlock()
	}
	erased, err := erase()
	if p.analyser != nil && erased != nil {
		p.analyser.forget(erased)
	}
	return err
}

// Fold turns batches into one update per window, in order of first
// appearance: a busy window sends many batches between two steps. A
// window's batches far apart in time (store.SessionIdle) make updates of
// their own, so that the index can put them in parts of their own.
func Fold(hs []batch.Header) []store.SessionUpdate {
	type key struct {
		project         int64
		session, window string
	}
	var updates []store.SessionUpdate
	index := map[key]int{}
	for _, h := range hs {
		k := key{h.Project, h.Session, h.Window}
		i, ok := index[k]
		first, last := time.UnixMilli(h.First), time.UnixMilli(h.Last)
		// Batches that the session rules may put in different parts of
		// the session stay apart, for the index to split.
		if !ok || first.Sub(updates[i].Last) > store.SessionIdle || last.Sub(updates[i].First) > store.SessionMaxLength {
			index[k] = len(updates)
			updates = append(updates, Assemble(h))
			continue
		}
		u := &updates[i]
		if first.Before(u.First) {
			u.First = first
		}
		if last.After(u.Last) {
			u.Last = last
		}
		u.Events += h.Count
		u.PageViews = append(u.PageViews, pageViews(h)...)
	}
	return updates
}

// Assemble says what one batch adds to its session.
func Assemble(h batch.Header) store.SessionUpdate {
	a := useragent.Parse(h.UserAgent)
	u := store.SessionUpdate{
		Project:     h.Project,
		Session:     h.Session,
		Window:      h.Window,
		First:       time.UnixMilli(h.First),
		Last:        time.UnixMilli(h.Last),
		Events:      h.Count,
		UserAgent:   h.UserAgent,
		Browser:     a.Browser,
		OS:          a.OS,
		Device:      a.Device,
		PageViews:   pageViews(h),
		ClockOffset: ClockOffset(h.Received, h.Last),
	}
	return u
}

// How far a visitor's clock may be from the server's before the session is
// dated by the server. A batch is sent seconds after its last event; one
// held back while the visitor was offline can arrive hours later, never
// before it was recorded.
const (
	MaxClockAhead  = 10 * time.Minute
	MaxClockBehind = 24 * time.Hour
)

// ClockOffset is what a session that starts with a batch received at
// received, whose newest event is stamped last (ms, the visitor's clock),
// adds to its recorded times to date it: zero when that clock is
// plausible, else the difference that puts the batch's end at its receipt.
// The events themselves are kept as recorded; only the index's dates move.
func ClockOffset(received time.Time, last int64) time.Duration {
	skew := time.UnixMilli(last).Sub(received)
	if skew > MaxClockAhead || skew < -MaxClockBehind {
		return -skew.Truncate(time.Millisecond)
	}
	return 0
}

func pageViews(h batch.Header) []store.PageView {
	var pvs []store.PageView
	for _, pg := range h.Pages {
		pvs = append(pvs, store.PageView{
			Window: h.Window,
			URL:    pg.URL,
			Start:  time.UnixMilli(pg.Timestamp),
			Width:  pg.Width,
			Height: pg.Height,
		})
	}
	return pvs
}
