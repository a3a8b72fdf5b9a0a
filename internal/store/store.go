// Package store defines what Playhead keeps: projects, the sessions index
// and the recordings themselves. Backends live in subpackages (sqlite, …);
// the stages that use a store declare the small interface they need.
package store

import (
	"errors"
	"time"
)

var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrClosed means the store is shutting down and takes no more writes.
	ErrClosed = errors.New("store closed")
	// ErrBusy means writes are queued up to the limit: the caller should
	// ask its client to come back shortly rather than wait in memory.
	ErrBusy = errors.New("store busy")
)

// ErrUnavailable means the storage itself fails: the disk is full, an I/O
// error, a read-only or damaged file. It is not the request's fault and
// may pass (space returns, a disk is remounted), so callers answer "come
// back later" rather than blame the request. Errors that match it are
// *UnavailableError, which says why.
var ErrUnavailable = errors.New("storage unavailable")

// Reason says why storage is unavailable. Its values double as the error
// codes of the HTTP answers.
type Reason string

const (
	DiskFull Reason = "disk_full"
	IOError  Reason = "io_error"
	ReadOnly Reason = "read_only"
	Corrupt  Reason = "corrupt"
)

// UnavailableError is a storage failure with its reason; it matches
// ErrUnavailable and unwraps to the backend's error.
type UnavailableError struct {
	Reason Reason
	Err    error
}

func (e *UnavailableError) Error() string { return string(e.Reason) + ": " + e.Err.Error() }

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Describe says in a few words what a reason means for someone running
// the server.
func (r Reason) Describe() string {
	switch r {
	case DiskFull:
		return "the disk of the data folder is full"
	case IOError:
		return "the data folder cannot be read or written (I/O error)"
	case ReadOnly:
		return "the data folder is read-only"
	case Corrupt:
		return "a database file in the data folder is damaged"
	}
	return string(r)
}

// Project is one site that sends recordings.
type Project struct {
	ID      int64
	Name    string
	Key     string   // public ingest key, embedded in the snippet
	Origins []string // allowed page origins; empty allows any
	Enabled bool
	Created time.Time
}

// Session is one visitor in one browser across pages and tabs of a site.
type Session struct {
	ID        string
	Project   int64
	Start     time.Time
	End       time.Time
	Pages     int
	EntryURL  string
	UserAgent string
	Browser   string
	OS        string
	Device    string
	Windows   []Window
	PageViews []PageView // filled only when one session is asked for
}

// Duration is how long the session lasted, first event to last.
func (s Session) Duration() time.Duration { return s.End.Sub(s.Start) }

// Window is one tab of a session.
type Window struct {
	ID     string
	Start  time.Time
	End    time.Time
	Events int
}

// PageView is one page load in a window.
type PageView struct {
	Window string
	URL    string
	Start  time.Time
	Width  int
	Height int
}

// SessionUpdate is what the processor learned about a session from one
// batch; the store folds it into the index.
type SessionUpdate struct {
	Project   int64
	Session   string
	Window    string
	First     time.Time
	Last      time.Time
	Events    int
	PageViews []PageView
	UserAgent string
	Browser   string
	OS        string
	Device    string
}

// WindowEvents is the stored events of one window, in upload order: each
// element is a JSON array of rrweb events as batch.Compress stored it.
type WindowEvents struct {
	Window  string
	Batches [][]byte
}
