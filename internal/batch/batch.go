// Package batch defines the unit that flows along the data path: one
// validated request of rrweb events from one window of one session. Ingest
// makes batches, the durable log keeps them, the processor reads them.
package batch

import "time"

// Batch is one acknowledged upload. (Project, Session, Window, Seq)
// identifies it: a client that retries sends the same key, and it is
// stored once.
type Batch struct {
	Project  int64
	Session  string
	Window   string
	Seq      int64
	Received time.Time // server clock; event timestamps are the client's

	UserAgent string

	// Events is the JSON array of rrweb events, each exactly as received,
	// compressed with Compress.
	Events []byte
	Count  int   // number of events
	First  int64 // smallest event timestamp, ms since the epoch
	Last   int64 // largest event timestamp
	// Hash is the SHA-256 of the events JSON as sent (uncompressed), so
	// that a retry can be told from a different batch under the same key
	// whatever encoding each was sent with.
	Hash []byte
	// Checked, if set, is the JSON array of events as ingest checked it,
	// uncompressed. It is not stored: the log may hand it to its reader
	// in memory rather than inflate Events again.
	Checked []byte
	// Release, if set, gives Checked's memory back to ingest for another
	// request: whoever holds the batch last calls it once nothing reads
	// Checked any more. A batch never released is left to the collector.
	Release func()

	// Pages lists the page loads the batch starts (rrweb Meta events).
	Pages []Page
}

// Page is one page load seen in a window: an rrweb Meta event.
type Page struct {
	URL       string `json:"url"`
	Timestamp int64  `json:"ts"`
	Width     int    `json:"w,omitempty"`
	Height    int    `json:"h,omitempty"`
}

// Header is what the log keeps next to a batch's events so that readers
// which need only its shape (the processor) do not decode the events.
type Header struct {
	ID        int64 // position in the log, increasing in commit order
	Project   int64
	Session   string
	Window    string
	Seq       int64
	Received  time.Time
	UserAgent string
	Count     int
	First     int64
	Last      int64
	Pages     []Page
}
