package store

import "time"

// Erased is what an erasure removed.
type Erased struct {
	Sessions int64    // sessions of the index, every part counted
	Batches  int64    // batches of the log
	Chunks   int64    // chunks of compacted recordings
	Keys     []string // the chunks' blob keys, for the caller to delete
}

// Add sums two erasures.
func (e *Erased) Add(o Erased) {
	e.Sessions += o.Sessions
	e.Batches += o.Batches
	e.Chunks += o.Chunks
	e.Keys = append(e.Keys, o.Keys...)
}

// Usage is the storage a project takes.
type Usage struct {
	LogBytes   int64 // events in the log not yet compacted, stored
	ChunkBytes int64 // compacted recordings, stored
	Batches    int64 // batches in the log
	Sessions   int64 // sessions in the index
	Oldest     time.Time
}
