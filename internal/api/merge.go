package api

import (
	"bufio"
	"cmp"
	"container/heap"
	"fmt"
	"io"
	"slices"

	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// A window's parts are read one at a time and merged with the other
// windows' by timestamp, so that answering a session holds, per window
// whose parts overlap the moment being written, one part's events (a
// chunk of at most about 4 MiB of JSON, or one batch) and never the whole
// recording.

// stream is one window's events in order: its parts one after another.
type stream struct {
	order  int // the window's place, which breaks ties between windows
	parts  []store.Part
	events []chunk.Event // of parts[0] once loaded
	raw    []byte        // what events point into
	loaded bool
}

// key is the timestamp of the stream's next event, or, before its part is
// read, the part's smallest timestamp: no event of it comes earlier, so
// the part is read only once the merge reaches that time.
func (s *stream) key() int64 {
	if s.loaded {
		return s.events[0].Timestamp
	}
	return s.parts[0].First
}

type streams []*stream

func (h streams) Len() int { return len(h) }
func (h streams) Less(i, j int) bool {
	a, b := h[i].key(), h[j].key()
	if a != b {
		return a < b
	}
	return h[i].order < h[j].order
}
func (h streams) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *streams) Push(x any)   { *h = append(*h, x.(*stream)) }
func (h *streams) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// loadFunc reads a part's JSON array of events.
type loadFunc func(p store.Part) ([]byte, error)

// load reads the stream's next part, dropping parts with no event in
// [from, to). It reports false when the stream is done.
func (s *stream) load(read loadFunc, from, to int64) (bool, error) {
	for len(s.parts) > 0 {
		raw, err := read(s.parts[0])
		if err != nil {
			return false, err
		}
		s.raw, s.events = raw, s.events[:0]
		err = chunk.Split(raw, func(e chunk.Event) error {
			if e.Timestamp >= from && e.Timestamp < to {
				s.events = append(s.events, e)
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("part of window %s: %w", s.parts[0].Window, err)
		}
		// Chunks are sorted; a batch is as the recorder sent it.
		slices.SortStableFunc(s.events, func(a, b chunk.Event) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
		if len(s.events) > 0 {
			s.loaded = true
			return true, nil
		}
		s.parts = s.parts[1:]
	}
	return false, nil
}

// merge writes the events in [from, to) of windows (each a window's parts
// in order) as one JSON array ordered by timestamp. Equal timestamps keep
// their window's order, and windows theirs, so a Meta event stays ahead of
// its full snapshot.
func merge(w io.Writer, windows [][]store.Part, read loadFunc, from, to int64) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	h := make(streams, 0, len(windows))
	for i, parts := range windows {
		if len(parts) > 0 {
			h = append(h, &stream{order: i, parts: parts})
		}
	}
	heap.Init(&h)
	bw.WriteByte('[')
	first := true
	for h.Len() > 0 {
		s := h[0]
		if !s.loaded {
			ok, err := s.load(read, from, to)
			if err != nil {
				return err
			}
			if !ok {
				heap.Pop(&h)
				continue
			}
			heap.Fix(&h, 0)
			continue
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		if _, err := bw.Write(s.events[0].Raw); err != nil {
			return err
		}
		s.events = s.events[1:]
		if len(s.events) == 0 {
			s.loaded, s.raw = false, nil
			s.parts = s.parts[1:]
			if len(s.parts) == 0 {
				heap.Pop(&h)
				continue
			}
		}
		heap.Fix(&h, 0)
	}
	bw.WriteByte(']')
	return bw.Flush()
}
