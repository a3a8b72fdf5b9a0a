package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// ChunkLog is the log as compaction sees it: the batches the processor has
// applied and not yet compacted, and the chunks that replace them.
type ChunkLog interface {
	Processed(ctx context.Context, name string) (int64, error)
	PendingWindows(ctx context.Context, upto int64) ([]store.PendingWindow, error)
	// NextChunk gives the window's next chunk number and the seq after
	// the last one compacted.
	NextChunk(ctx context.Context, w store.WindowRef) (ord int, seq int64, err error)
	PendingBatches(ctx context.Context, w store.WindowRef, upto int64, fn func(id, seq int64, events []byte) error) error
	// LastPageStart gives the newest pending batch that loads a page.
	LastPageStart(ctx context.Context, w store.WindowRef, upto int64) (seq int64, ok bool, err error)
	// AddChunks records chunks whose blobs are stored and releases the
	// batches they hold, atomically.
	AddChunks(ctx context.Context, w store.WindowRef, chunks []store.Part, batches []int64) error
	DropReleased(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Blobs is where chunks are written, and the window's earlier chunks read
// for its dictionary. Put must be durable when it returns.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
}

// ChunkKey is the blob key of a window's chunk number ord. It is the same
// whenever that chunk is made again, so that compaction killed between
// writing a chunk and recording it overwrites its leftover.
func ChunkKey(w store.WindowRef, ord int) string {
	return chunk.Key(chunkPrefix(w), ord)
}

func chunkPrefix(w store.WindowRef) string {
	return fmt.Sprintf("%d/%s/%s", w.Project, w.Session, w.Window)
}

// Defaults of a Compactor.
const (
	// DefaultQuiet: a window with no batch for this long is compacted
	// whatever it holds. The recorder sends a batch at least every few
	// seconds while a page is open, so ten minutes means it is gone.
	DefaultQuiet = 10 * time.Minute
	// DefaultMinBytes of stored batches (about 1.5 MB of JSON, some
	// minutes of an active page) make a live window worth a chunk.
	DefaultMinBytes = 256 << 10
	// DefaultGrace keeps released batches' events readable for a while,
	// so that a read that listed them just before finishes; no request
	// runs longer than the server's write timeout.
	DefaultGrace = 2 * time.Minute
	// DefaultEvery is how often compaction looks for work.
	DefaultEvery = 10 * time.Second
)

// Where chunks are cut: before a page load once a chunk holds pageSpan of
// recording or pageBytes of JSON, so that most chunks start with a full
// snapshot; anywhere once it holds maxSpan or maxBytes, so that a long
// page is still read a chunk at a time.
const (
	pageSpan  = 60_000 // ms
	pageBytes = 512 << 10
	maxSpan   = 300_000 // ms
	maxBytes  = 4 << 20
	// longPage is how many stored bytes of one page a live window
	// compacts without waiting for the page to end.
	longPage = 1 << 20
)

// Compactor turns the batches of each window, once the processor has
// applied them, into zstd chunks, and releases the batches. Run it beside
// the processor.
type Compactor struct {
	Log    ChunkLog
	Blobs  Blobs
	Logger *slog.Logger
	// Zero values take the defaults above; a negative Quiet or Grace means
	// none.
	Quiet, Grace, Every time.Duration
	MinBytes            int64
	// Hold, if set, is held shared while a window is compacted, so that
	// an erasure (which holds it exclusively) never leaves a chunk
	// written behind it. The processor's Hold.
	Hold *sync.RWMutex
	// Dicts keeps the windows' dictionaries between passes; nil for a
	// cache of the default size.
	Dicts *chunk.Reader

	dictsOnce sync.Once
}

func (c *Compactor) dicts() *chunk.Reader {
	c.dictsOnce.Do(func() {
		if c.Dicts == nil {
			c.Dicts = chunk.NewReader(0)
		}
	})
	return c.Dicts
}

// dict is the dictionary of the window's chunk ord: made of the full
// snapshots of the chunks before it in its run.
func (c *Compactor) dict(ctx context.Context, w store.WindowRef, ord int) ([]byte, error) {
	if chunk.RunStart(ord) {
		return nil, nil
	}
	prefix := chunkPrefix(w)
	return c.dicts().Dict(ctx, prefix, ord, func(ctx context.Context, ord int) ([]byte, error) {
		r, err := c.Blobs.Get(ctx, chunk.Key(prefix, ord), 0, -1)
		if err != nil {
			return nil, fmt.Errorf("read chunk %d: %w", ord, err)
		}
		defer r.Close()
		return io.ReadAll(r)
	})
}

func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return d
}

// Run compacts until ctx is done. A failing pass is logged once and
// retried after a growing pause.
func (c *Compactor) Run(ctx context.Context) error {
	logger := c.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var pause time.Duration
	failing := false
	for {
		_, err := c.Pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := orDefault(c.Every, DefaultEvery)
		switch {
		case err != nil:
			if !failing {
				logger.Error("compaction failing; retrying", "err", err)
			}
			failing = true
			pause = backoff(pause)
			wait = pause
		case failing:
			logger.Info("compaction works again")
			failing, pause = false, 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Pass compacts every window that is due, drops the events of batches
// released more than Grace ago, and says how many chunks it made.
func (c *Compactor) Pass(ctx context.Context) (int, error) {
	upto, err := c.Log.Processed(ctx, Name)
	if err != nil {
		return 0, fmt.Errorf("read the processed position: %w", err)
	}
	pending, err := c.Log.PendingWindows(ctx, upto)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	quietFor, minBytes := orDefault(c.Quiet, DefaultQuiet), c.MinBytes
	if minBytes == 0 {
		minBytes = DefaultMinBytes
	}
	made := 0
	for _, p := range pending {
		quiet := now.Sub(p.Last) >= quietFor
		if !quiet && p.Bytes < minBytes {
			continue
		}
		n, err := c.Compact(ctx, p, upto, quiet)
		made += n
		if err != nil {
			return made, fmt.Errorf("compact %s/%s: %w", p.Session, p.Window, err)
		}
	}
	before := now.Add(-orDefault(c.Grace, DefaultGrace))
	for {
		n, err := c.Log.DropReleased(ctx, before, 1000)
		if err != nil {
			return made, err
		}
		if n < 1000 {
			return made, nil
		}
	}
}

// errGap stops a window's compaction at a batch that is not the next in
// seq: the missing one may still come.
var errGap = errors.New("gap in seq")

// Compact makes chunks of one window's batches logged at or before upto,
// in seq order, and releases them. It stops before the first missing
// seq unless the window is quiet (then the batch is taken as lost); and
// unless the window is quiet it stops before the last page load, so that
// the next chunk starts with it rather than with the end of a page. Its
// blobs are written before they are recorded, under names that the same
// chunk gets again, so that killed anywhere it leaves nothing half done
// that the next pass does not redo.
func (c *Compactor) Compact(ctx context.Context, p store.PendingWindow, upto int64, quiet bool) (int, error) {
	if c.Hold != nil {
		c.Hold.RLock()
		defer c.Hold.RUnlock()
	}
	w := p.WindowRef
	ord, expect, err := c.Log.NextChunk(ctx, w)
	if err != nil {
		return 0, err
	}
	stop := int64(-1) // the seq to stop before, -1 for none
	if !quiet {
		seq, ok, err := c.Log.LastPageStart(ctx, w, upto)
		if err != nil {
			return 0, err
		}
		switch {
		case ok && seq > expect:
			stop = seq
		case ok && p.Bytes < longPage:
			// One page so far: wait for the next, or for it to end.
			return 0, nil
		}
	}
	dict, err := c.dict(ctx, w, ord)
	if err != nil {
		return 0, fmt.Errorf("dictionary of chunk %d: %w", ord, err)
	}
	var (
		made    []store.Part
		ids     []int64
		cur     []chunk.Event
		part    store.Part
		curRaw  int
		curMin  int64
		lastTyp = -1
	)
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		if chunk.RunStart(ord) {
			dict = nil
		}
		blob, m := chunk.Build(cur, dict)
		dict = chunk.DictAfter(dict, cur)
		part.Ord, part.Key = ord, ChunkKey(w, ord)
		part.First, part.Last, part.Events, part.Bytes, part.Full = m.First, m.Last, m.Events, int64(len(blob)), m.Full
		part.Chunk, part.Window = true, w.Window
		if err := c.Blobs.Put(ctx, part.Key, blob); err != nil {
			return fmt.Errorf("store chunk: %w", err)
		}
		made = append(made, part)
		ord++
		cur, curRaw, part = nil, 0, store.Part{}
		return nil
	}
	err = c.Log.PendingBatches(ctx, w, upto, func(id, seq int64, blob []byte) error {
		if seq != expect && !quiet || seq == stop {
			return errGap
		}
		raw, err := batch.Decompress(blob)
		if err != nil {
			return fmt.Errorf("batch %d: %w", id, err)
		}
		var events []chunk.Event
		if err := chunk.Split(raw, func(e chunk.Event) error { events = append(events, e); return nil }); err != nil {
			return fmt.Errorf("batch %d: %w", id, err)
		}
		for _, e := range events {
			if len(cur) > 0 {
				span := e.Timestamp - curMin
				page := chunk.PageStart(e, lastTyp)
				if page && (span >= pageSpan || curRaw >= pageBytes) || span >= maxSpan || curRaw >= maxBytes {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if len(cur) == 0 {
				part.FirstSeq, curMin = seq, e.Timestamp
			}
			cur = append(cur, e)
			curRaw += len(e.Raw) + 1
			curMin = min(curMin, e.Timestamp)
			part.LastSeq, part.ID = seq, max(part.ID, id)
			lastTyp = e.Type
		}
		ids = append(ids, id)
		expect = seq + 1
		return nil
	})
	if err != nil && !errors.Is(err, errGap) {
		return 0, err
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if len(made) == 0 {
		// Batches without a single event cannot be stored (ingest refuses
		// them), so this cannot happen; never release what no chunk holds.
		return 0, fmt.Errorf("batches %v gave no events", ids)
	}
	if err := c.Log.AddChunks(ctx, w, made, ids); err != nil {
		return 0, err
	}
	// Only once recorded: chunks made again after a failure may be cut
	// elsewhere.
	c.dicts().Remember(chunkPrefix(w), ord, dict)
	return len(made), nil
}
