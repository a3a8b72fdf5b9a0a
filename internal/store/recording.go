package store

import (
	"errors"
	"time"
)

// ErrReleased means a batch's events have been moved into chunks and
// dropped from the log; its key, hash and header stay.
var ErrReleased = errors.New("batch events moved into chunks")

// Part is one piece of a window's recording: a compacted chunk, or a
// logged batch not compacted yet. A window's parts in order (its chunks by
// Ord, then its batches by seq) give its events in seq order.
type Part struct {
	Window string
	Chunk  bool  // false: a batch of the log not yet in a chunk
	ID     int64 // a batch's log position; a chunk's newest batch's
	Ord    int   // a chunk's number within its window, from 0
	Key    string
	// The seqs of the batches whose events it holds. Chunks cut at a page
	// load within a batch, so two chunks may share their boundary seq.
	FirstSeq, LastSeq int64
	First, Last       int64 // smallest and largest event timestamp, ms
	Events            int
	Bytes             int64 // as stored, compressed
	// Full says a replay can start here: a chunk that starts with a full
	// snapshot, a batch that loads a page.
	Full bool
}

// WindowRef names one window of one session.
type WindowRef struct {
	Project         int64
	Session, Window string
}

// PendingWindow is a window with batches the processor has applied that
// are not in chunks yet.
type PendingWindow struct {
	WindowRef
	Batches int
	Bytes   int64     // stored bytes of those batches
	Last    time.Time // when the newest of them was received
}
