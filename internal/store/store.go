// Package store defines what Playhead keeps: projects, the sessions index
// and the recordings themselves. Backends live in subpackages (sqlite, …);
// the stages that use a store declare the small interface they need.
package store

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means what was to be created is there already: a user
	// with the same e-mail address, a goal of the same name.
	ErrExists = errors.New("already exists")
	// ErrClosed means the store is shutting down and takes no more writes.
	ErrClosed = errors.New("store closed")
	// ErrBusy means writes are queued up to the limit: the caller should
	// ask its client to come back shortly rather than wait in memory.
	ErrBusy = errors.New("store busy")
	// ErrConflict means a batch's key (project, session, window, seq) is
	// already stored with different events: the client reused a sequence
	// number. Nothing was changed.
	ErrConflict = errors.New("sequence number reused with different events")
)

// The index keeps at most this much of one session, so that a session
// page or a list stays small whatever a client sends; the recording itself
// keeps every event.
const (
	MaxWindows   = 100  // windows (tabs) per session; later ones are not listed
	MaxPageViews = 1000 // page views per session; later ones are not listed or counted
)

// ErrIndexBehind means the index has not yet taken in batches the log
// acknowledged before the request, and the request needs them (an erasure
// by user must find every session the user has): retry later.
var ErrIndexBehind = errors.New("the index is behind the recordings acknowledged")

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

// The session rules the server enforces whatever ids recorders send: a
// session ends after SessionIdle without events or SessionMaxLength in
// all, and what comes after is a new part (docs/api.md).
const (
	SessionIdle      = 30 * time.Minute
	SessionMaxLength = 24 * time.Hour
)

// PartID names part n (from 1) of the recorder's session recorded.
func PartID(recorded string, n int) string {
	if n <= 1 {
		return recorded
	}
	return fmt.Sprintf("%s~%d", recorded, n)
}

// Project is one site that sends recordings.
type Project struct {
	ID      int64
	Name    string
	Key     string   // public ingest key, embedded in the snippet
	Origins []string // allowed page origins; empty allows any
	Enabled bool
	Created time.Time
	// Deleted is when the project was deleted; zero while it exists. A
	// deleted project takes no batches and is listed nowhere; its data is
	// erased in the background, then its row.
	Deleted time.Time
	ProjectSettings
}

// ProjectSettings is what a project's owner tunes.
type ProjectSettings struct {
	// RetentionDays is how long sessions are kept after they end; 0 keeps
	// them until they are deleted.
	RetentionDays int
	// SampleRate is the share of visitors' sessions recorded, 0 to 1.
	SampleRate float64
	// Recorder holds the privacy and capture options given to the
	// recorder on the project's pages.
	Recorder RecorderSettings
	// Quota bounds what the project's key may send: beyond it ingest
	// answers 429. 0 is no bound.
	Quota Quota
}

// DefaultProjectSettings are those of a new project.
var DefaultProjectSettings = ProjectSettings{SampleRate: 1}

// RecorderSettings are the recorder's options a project sets for all its
// pages (docs/recorder.md names them); nil or empty leaves the
// recorder's default.
type RecorderSettings struct {
	MaskAllText bool     `json:"maskAllText,omitempty"`
	ScrubEmails bool     `json:"scrubEmails,omitempty"`
	AllowParams []string `json:"allowParams,omitempty"`
	MaskPaths   []string `json:"maskPaths,omitempty"`
	Network     *bool    `json:"network,omitempty"`
	Console     *bool    `json:"console,omitempty"`
}

// Quota is a project's bound on ingest.
type Quota struct {
	BatchesPerMinute int
	BytesPerDay      int64
}

// AuditEntry is one line of the audit log: who did what to what, when.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // the user's e-mail, "token NAME", "cli" or "system"
	Action  string // a dotted verb such as "session.delete" or "login"
	Project int64  // 0 when not about one project
	Target  string // what was acted on: a session id, a user's e-mail, …
	Detail  string
}

// Session is one visitor in one browser across pages and tabs of a site.
// (Project, ID) identifies it: the id is the recorder's and is unique only
// within its project.
//
// Its times, and those of its windows and page views, are the recording's
// event times moved by ClockOffset, which is zero unless the visitor's
// clock was implausible when the session began (see process.ClockOffset).
type Session struct {
	ID      string
	Project int64
	// Recorded is the recorder's id of the session. The server splits a
	// recorder's session by the session rules (SessionIdle,
	// SessionMaxLength): the first part keeps that id, the later ones are
	// Recorded~2, Recorded~3, … (PartID).
	Recorded    string
	Start       time.Time
	End         time.Time
	ClockOffset time.Duration // server time minus the recording's time
	Pages       int
	EntryURL    string
	UserAgent   string
	Browser     string
	OS          string
	Device      string
	Windows     []Window
	PageViews   []PageView // filled only when one session is asked for

	// What the windows' analyses tell, over the whole session.
	ActiveMS                      int64
	Clicks, Errors                int
	FailedRequests                int
	ExitURL                       string // the page entered last
	UserID                        string
	ViewportWidth, ViewportHeight int
	SignalCounts                  map[string]int // signals by kind; kinds with none are absent
	Score                         Score

	// Filled only when one session is asked for.
	Traits       map[string]string
	Signals      []Signal
	Visits       []Visit
	CustomEvents []CustomEvent // each name once, at its first time
	Goals        []GoalResult

	// Kept beside the index, by people: the session's tags in order, and
	// whether the user who searched (SessionQuery.Viewer) has watched it.
	Tags    []string
	Watched bool
}

// Visit is a page of a session's window, with the time spent on it.
type Visit struct {
	Window string
	PageVisit
}

// Duration is how long the session lasted, first event to last.
func (s Session) Duration() time.Duration { return s.End.Sub(s.Start) }

// Window is one tab of a session.
type Window struct {
	ID     string
	Start  time.Time
	End    time.Time
	Events int
	// Shown is when the tab was shown or hidden (one session's page only).
	Shown []Visibility
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
// batch; the store folds it into the index. Its times are the recording's;
// the store moves them by the session's clock offset, which ClockOffset
// sets when the update starts a new session.
type SessionUpdate struct {
	Project     int64
	Session     string
	Window      string
	First       time.Time
	Last        time.Time
	ClockOffset time.Duration
	Events      int
	PageViews   []PageView
	UserAgent   string
	Browser     string
	OS          string
	Device      string

	// Analysis is what the window's events tell, from its first event up
	// to this update's: it replaces the window's previous analysis whole.
	// Nil when the events were not read; the window's analysis is then
	// left as it was.
	Analysis *WindowAnalysis
}

// WindowAnalysis is what one window's events tell: a fold over all of them
// in order, so that reading the window again gives the same analysis. Its
// times are the recording's, like SessionUpdate's.
type WindowAnalysis struct {
	ActiveMS       int64 // time with input, idle gaps left out
	Clicks         int
	Errors         int // JS errors: uncaught, rejections, console.error
	FailedRequests int // status ≥ 400 or no answer
	// ExitURL is the window's last page, entered at ExitAt.
	ExitURL string
	ExitAt  time.Time
	// The visitor's viewport (CSS pixels) when last known; 0 when unknown.
	ViewportWidth, ViewportHeight int
	// UserID and Traits as the site last identified the visitor.
	UserID string
	Traits map[string]string
	// CustomEvents are the distinct names the site tracked, each with the
	// first time it did.
	CustomEvents []CustomEvent
	// Pages are the window's pages in order with the time on each.
	Pages []PageVisit
	// Shown are the times the tab was shown or hidden, in order: the
	// visitor turned to it or away (a tab is in view at its start unless
	// the first says it was shown).
	Shown []Visibility
	// Signals are what happened that is worth a look, in time order.
	Signals []Signal
	// Text is what free-text search finds the window by besides its URLs:
	// page titles, clicked elements' text, error messages.
	Text []string
}

// CustomEvent is the first time the site tracked an event name.
type CustomEvent struct {
	Name string
	Time time.Time
}

// Visibility is a tab shown (Visible) or hidden at Time.
type Visibility struct {
	Time    time.Time
	Visible bool
}

// PageVisit is one page of a window and how long the visitor stayed.
type PageVisit struct {
	URL      string
	Title    string
	Start    time.Time
	Duration time.Duration
}

// Signal is one moment worth watching. Kind is one of the Signal* names;
// docs/signals.md defines each.
type Signal struct {
	Kind     string
	Window   string
	Time     time.Time
	URL      string  // the page it happened on
	Selector string  // the element, as a CSS selector; "" when none
	Text     string  // the element's visible text, masked where it was
	Count    int     // how many (clicks of a rage click, …); at least 1
	Value    float64 // a measure where the kind has one: ms of a slow request, LCP, …
	Detail   string  // the error message, the request's method and URL, …
}

// The kinds of Signal.
const (
	SignalRageClick       = "rage_click"
	SignalDeadClick       = "dead_click"
	SignalErrorClick      = "error_click"
	SignalJSError         = "js_error"
	SignalFailedRequest   = "failed_request"
	SignalSlowRequest     = "slow_request"
	SignalSlowPage        = "slow_page"
	SignalThrashingCursor = "thrashing_cursor"
	SignalExcessiveScroll = "excessive_scroll"
	SignalQuickBack       = "quick_back"
	SignalFormAbandon     = "form_abandon"
	SignalSlowForm        = "slow_form"
	SignalInactivity      = "inactivity"
)
