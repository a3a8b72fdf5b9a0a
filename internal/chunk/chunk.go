// Package chunk is the stored form of compacted recordings. A chunk holds
// a few minutes of one window's rrweb events, exactly as recorded, sorted
// by timestamp (stable), and starts at a page load where one exists.
//
// Stored, a chunk is a header and a zstd frame (format.go): pointer
// moves are kept as columns of numbers rather than JSON (moves.go), and
// the frame is compressed against a raw dictionary of the full snapshots
// in the earlier chunks of its run (Run chunks of a window), since a
// visitor's own pages seen again are what an independent chunk cannot
// see. Reading chunk k thus needs the dictionary the chunks before it in
// its run make (Read); Reader keeps them. Chunks stored before, a bare
// zstd frame of the JSON array or a chain over the whole window, stay
// readable.
package chunk

import (
	"bytes"
	"cmp"
	"slices"
)

// The rrweb event types the chunks care about.
const (
	typeDOMContentLoaded = 0
	typeLoad             = 1
	TypeFullSnapshot     = 2
	typeIncremental      = 3
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

// Build sorts events by timestamp (stable: a Meta event stays ahead of
// its full snapshot) and returns the chunk's stored form, compressed
// against dict (what DictAfter gave for the chunk before in its run; nil for
// its first), and what it holds. events is sorted in place.
func Build(events []Event, dict []byte) ([]byte, Meta) {
	slices.SortStableFunc(events, func(a, b Event) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
	m := Meta{Events: len(events), Raw: 2 + max(len(events)-1, 0)}
	for _, e := range events {
		m.Raw += len(e.Raw)
	}
	if len(events) > 0 {
		m.First, m.Last = events[0].Timestamp, events[len(events)-1].Timestamp
		m.Full = StartsPage(events)
	}
	return compress(encodePayload(events), dict), m
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

// MaxDict bounds a window's dictionary: the newest bytes of its full
// snapshots. 2 MiB holds a dozen pages of the generated shop, where most
// of a visitor's revisits fall: its 180-minute visit is stored in 0.59×
// gzip -6 of its whole stream, against 0.56× with 4 MiB and 0.55× with
// 8 MiB (docs/benchmarks.md); and the events API holds two dictionaries
// per window it reads, within its 32 MiB.
const MaxDict = 2 << 20

// Run is how many chunks of a window share a chain of dictionaries: the
// first of each run is compressed without one. A chain over the whole
// window makes a cold read of its last chunk decode every chunk before it
// (60 for a 180-minute visit: 180 ms and 16 MiB), where runs bound that to
// Run-1; what runs cost is the pages seen in an earlier run: the 180-minute
// visit is 0.59× gzip -6 of its stream as one chain, 0.64× in runs of 16,
// 0.69× in runs of 8 (docs/benchmarks.md).
const Run = 8

// RunStart tells whether chunk ord of a window starts a run: it is built
// without a dictionary.
func RunStart(ord int) bool { return ord%Run == 0 }

// Read decodes a stored chunk read in its window's order: chain is the
// dictionary the chunk before it left (nil for the first). It returns the
// chunk's JSON array of events and the dictionary it leaves for the next.
func Read(blob, chain []byte) (raw, next []byte, err error) {
	if Independent(blob) {
		chain = nil
	}
	raw, snaps, err := decode(blob, chain)
	if err != nil {
		return nil, nil, err
	}
	return raw, addSnapshots(chain, snaps), nil
}

// isSnapshot tells whether a stored event goes into the dictionaries: a
// full snapshot. Events as rrweb writes them name their type first, and
// that is read without lexing the rest, since snapshots are most of a
// chunk's bytes; any other event is read as Split reads it. Writing and
// reading chunks both ask here, so that they make the same dictionaries.
func isSnapshot(raw []byte) bool {
	if rest, ok := bytes.CutPrefix(raw, typeFirst); ok && len(rest) > 1 && '0' <= rest[0] && rest[0] <= '9' && (rest[1] == ',' || rest[1] == '}') {
		return rest[0] == '0'+TypeFullSnapshot
	}
	e, _, err := object(raw, 0)
	return err == nil && e.Type == TypeFullSnapshot
}

var typeFirst = []byte(`{"type":`)

// DictAfter returns the dictionary for the chunk after one built of
// events, given the dictionary that chunk was built with: dict with the
// chunk's full snapshots added, cut to the newest MaxDict bytes. dict is
// not changed.
func DictAfter(dict []byte, events []Event) []byte {
	var snaps [][]byte
	for _, e := range events {
		if isSnapshot(e.Raw) {
			snaps = append(snaps, e.Raw)
		}
	}
	return addSnapshots(dict, snaps)
}

// addSnapshots returns dict with snaps added, cut to the newest MaxDict
// bytes; dict itself if there are none.
func addSnapshots(dict []byte, snaps [][]byte) []byte {
	if len(snaps) == 0 {
		return dict
	}
	n := len(dict)
	for _, p := range snaps {
		n += len(p)
	}
	out := make([]byte, 0, min(n, MaxDict))
	skip := n - min(n, MaxDict)
	for _, p := range append([][]byte{dict}, snaps...) {
		if skip >= len(p) {
			skip -= len(p)
			continue
		}
		out = append(out, p[skip:]...)
		skip = 0
	}
	return out
}
