package chunk

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// Key is the blob key of chunk number ord of the window whose chunks are
// kept under prefix. Every chunk of a window is found from any other's
// key, which is how a reader finds the chunks a dictionary is made of.
func Key(prefix string, ord int) string {
	return fmt.Sprintf("%s/%08d.zst", prefix, ord)
}

// GetFunc reads the stored form of chunk ord of a window.
type GetFunc func(ctx context.Context, ord int) ([]byte, error)

// DefaultCache is the bytes of dictionaries a Reader keeps by default:
// eight windows' worth at the largest.
const DefaultCache = 8 * MaxDict

// Reader reads a window's chunks, keeping the dictionaries it makes on
// the way in a cache bounded in bytes (least recently used goes first),
// so that a player fetching a window's chunks one after another decodes
// each once. Reading a chunk when nothing of its window is cached decodes
// the chunks before it in its run (Run-1 at most; every chunk before it in
// a window stored as one chain), one at a time: it holds one chunk and two
// dictionaries at once, however long the window. Safe for concurrent use.
type Reader struct {
	max int

	mu   sync.Mutex
	size int
	lru  *list.List // of *cached, most recent first
	m    map[dictKey]*list.Element
}

type dictKey struct {
	window string
	ord    int
}

type cached struct {
	key  dictKey
	dict []byte
	// passing marks a dictionary made on the way through a window,
	// which the next one replaces; the others were asked for (a seek).
	passing bool
}

// NewReader returns a Reader that caches up to max bytes of dictionaries
// (DefaultCache if max is 0).
func NewReader(max int) *Reader {
	if max == 0 {
		max = DefaultCache
	}
	return &Reader{max: max, lru: list.New(), m: map[dictKey]*list.Element{}}
}

// Chunk returns the JSON array of events of chunk ord of a window, named
// by window in the cache, reading stored chunks with get.
func (r *Reader) Chunk(ctx context.Context, window string, ord int, get GetFunc) ([]byte, error) {
	blob, err := get(ctx, ord)
	if err != nil {
		return nil, err
	}
	var dict []byte
	known := true
	switch {
	case NeedsDict(blob):
		if dict, err = r.Dict(ctx, window, ord, get); err != nil {
			return nil, err
		}
	case !Independent(blob):
		dict, known = r.get(dictKey{window, ord})
	}
	raw, snaps, err := decode(blob, dict)
	if errors.Is(err, ErrDict) {
		// A window erased and recorded again under the same name: what
		// was cached is not what its chunks were made with.
		r.forget(window)
		if dict, err = r.Dict(ctx, window, ord, get); err != nil {
			return nil, err
		}
		raw, snaps, err = decode(blob, dict)
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", ord, err)
	}
	if known {
		// The next chunk's dictionary costs little now, and a player
		// asks for the next chunk next: it takes this one's place if
		// this one was made on the way, so that reading a window through
		// holds one of its dictionaries. One made for a seek stays, for
		// a viewer seeks back to a moment more than anywhere else.
		r.pass(dictKey{window, ord}, addSnapshots(dict, snaps))
	}
	return raw, nil
}

// Dict returns the dictionary of chunk ord of a window: from the cache, or
// made by reading the chunks before it from the newest one whose
// dictionary is cached or that starts a run.
func (r *Reader) Dict(ctx context.Context, window string, ord int, get GetFunc) ([]byte, error) {
	start, dict := 0, []byte(nil)
	var first []byte // chunk start's stored form, if read on the way
	for j := ord; j > 0; j-- {
		if d, ok := r.get(dictKey{window, j}); ok {
			start, dict = j, d
			break
		}
		if j < ord && RunStart(j) {
			blob, err := get(ctx, j)
			if err != nil {
				return nil, err
			}
			if Independent(blob) {
				start, first = j, blob
				break
			}
		}
	}
	for j := start; j < ord; j++ {
		blob, err := first, ctx.Err()
		if err != nil {
			return nil, err
		}
		first = nil
		if blob == nil {
			if blob, err = get(ctx, j); err != nil {
				return nil, err
			}
		}
		if _, dict, err = Read(blob, dict); err != nil {
			return nil, fmt.Errorf("chunk %d: %w", j, err)
		}
	}
	if start < ord {
		r.put(dictKey{window, ord}, dict)
	}
	return dict, nil
}

// Remember caches dict as the dictionary of chunk ord of a window, the
// next compaction makes, in place of the window's others: compaction
// only ever needs its newest.
func (r *Reader) Remember(window string, ord int, dict []byte) {
	r.forget(window)
	r.put(dictKey{window, ord}, dict)
}

func (r *Reader) get(k dictKey) ([]byte, bool) {
	if k.ord == 0 {
		return nil, true // a window's first chunk has none
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.m[k]
	if !ok {
		return nil, false
	}
	r.lru.MoveToFront(e)
	return e.Value.(*cached).dict, true
}

func (r *Reader) put(k dictKey, dict []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.putLocked(k, dict, false)
}

// pass caches next as the dictionary of the chunk after k, dropping k's
// if it was made on the way.
func (r *Reader) pass(k dictKey, next []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.m[k]; ok && e.Value.(*cached).passing {
		r.remove(e)
	}
	r.putLocked(dictKey{k.window, k.ord + 1}, next, true)
}

func (r *Reader) putLocked(k dictKey, dict []byte, passing bool) {
	if k.ord == 0 || len(dict) > r.max {
		return
	}
	if e, ok := r.m[k]; ok {
		// Made on the way only if it was that the first time too.
		passing = passing && e.Value.(*cached).passing
		r.remove(e)
	}
	r.m[k] = r.lru.PushFront(&cached{k, dict, passing})
	r.size += len(dict)
	for r.size > r.max {
		r.remove(r.lru.Back())
	}
}

func (r *Reader) remove(e *list.Element) {
	c := e.Value.(*cached)
	r.lru.Remove(e)
	delete(r.m, c.key)
	r.size -= len(c.dict)
}

// Clear drops every dictionary: after an erasure, so that no page of an
// erased session stays in memory.
func (r *Reader) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lru.Init()
	clear(r.m)
	r.size = 0
}

// forget drops a window's dictionaries.
func (r *Reader) forget(window string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.m {
		if k.window == window {
			r.remove(e)
		}
	}
}
