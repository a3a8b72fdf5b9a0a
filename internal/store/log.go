package store

// LogStats says how much the log holds and how far the processor is.
type LogStats struct {
	Batches        int64 // batches in the log
	Last           int64 // the newest position given, 0 for none
	Processed      int64 // log position the sessions index is up to
	ProcessedCount int64 // batches at or before that position
}

// Ahead tells whether the index claims batches the log does not have: the
// log was restored from a backup older than the index.
func (st LogStats) Ahead() bool { return st.Processed > st.Last }
