// Package chunk is the stored form of compacted recordings: a zstd frame of
// one JSON array of rrweb events, exactly as recorded, sorted by timestamp
// (stable). A chunk holds a few minutes of one window and starts at a page
// load where one exists, so that a replay can start from it alone.
package chunk

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// The rrweb event types the chunks care about.
const (
	typeDOMContentLoaded = 0
	typeLoad             = 1
	TypeFullSnapshot     = 2
	TypeMeta             = 4
)

// Event is one rrweb event as stored, with what the chunks need of it.
type Event struct {
	Type      int
	Timestamp int64 // ms since the epoch, the recorder's clock
	Raw       []byte
}

// Meta says what a built chunk holds.
type Meta struct {
	First, Last int64 // smallest and largest timestamp
	Events      int
	Raw         int  // bytes of the JSON array
	Full        bool // starts with a full snapshot (after its Meta event, if any)
}

// window is the zstd window: larger than a chunk, so that a page's
// repeated snapshots and the mutations that copy its nodes are found
// however far apart they are in the chunk.
const window = 16 << 20

var (
	encOnce    sync.Once
	encoder    *zstd.Encoder
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderMaxWindow(window))
)

func enc() *zstd.Encoder {
	encOnce.Do(func() {
		// Compaction runs off the request path, once per chunk; the best
		// level costs a few tens of ms a chunk and saves a quarter of the
		// bytes over the default.
		encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
			zstd.WithWindowSize(window), zstd.WithEncoderConcurrency(1))
	})
	return encoder
}

// Build sorts events by timestamp (stable: a Meta event stays ahead of
// its full snapshot) and returns the chunk's stored form and what it
// holds. events is sorted in place.
func Build(events []Event) ([]byte, Meta) {
	slices.SortStableFunc(events, func(a, b Event) int {
		switch {
		case a.Timestamp < b.Timestamp:
			return -1
		case a.Timestamp > b.Timestamp:
			return 1
		}
		return 0
	})
	m := Meta{Events: len(events), Raw: 2}
	for _, e := range events {
		m.Raw += len(e.Raw) + 1
	}
	raw := make([]byte, 0, m.Raw)
	raw = append(raw, '[')
	for i, e := range events {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, e.Raw...)
	}
	raw = append(raw, ']')
	m.Raw = len(raw)
	if len(events) > 0 {
		m.First, m.Last = events[0].Timestamp, events[len(events)-1].Timestamp
		m.Full = StartsPage(events)
	}
	return enc().EncodeAll(raw, make([]byte, 0, len(raw)/8)), m
}

// StartsPage tells whether events start with a full snapshot, after the
// events rrweb sends ahead of it on a page load (DomContentLoaded, Load,
// Meta) if any.
func StartsPage(events []Event) bool {
	for _, e := range events {
		switch e.Type {
		case TypeFullSnapshot:
			return true
		case typeDOMContentLoaded, typeLoad, TypeMeta:
			continue
		}
		return false
	}
	return false
}

// PageStart tells whether e begins a page load, coming after an event of
// type prev (-1 for none): the first of the events rrweb sends when a page
// loads, up to and including its full snapshot.
func PageStart(e Event, prev int) bool {
	switch e.Type {
	case typeDOMContentLoaded, typeLoad, TypeMeta, TypeFullSnapshot:
		return prev != typeDOMContentLoaded && prev != typeLoad && prev != TypeMeta
	}
	return false
}

// ErrCorrupt means a stored chunk cannot be read.
var ErrCorrupt = errors.New("corrupt chunk")

// Decode returns a chunk's JSON array of events.
func Decode(blob []byte) ([]byte, error) {
	out, err := decoder.DecodeAll(blob, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return out, nil
}
