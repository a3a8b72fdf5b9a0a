package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidFilter means a search asked for something that cannot be: an
// unknown parameter, a malformed value, an impossible range, a cursor of
// another search. Errors that wrap it are *FilterError.
var ErrInvalidFilter = errors.New("invalid filter")

// FilterError says which parameter of a search is wrong and why.
type FilterError struct {
	Param   string
	Message string
}

func (e *FilterError) Error() string { return fmt.Sprintf("%s: %s", e.Param, e.Message) }

// Is makes errors.Is(err, ErrInvalidFilter) true.
func (e *FilterError) Is(target error) bool { return target == ErrInvalidFilter }

// The orders a search can list sessions in. Ties go to the session indexed
// later, so that paging never repeats or skips one.
const (
	SortNewest  = "newest" // by start, latest first
	SortOldest  = "oldest" // by start, earliest first
	SortLongest = "longest"
	SortScore   = "score" // most worth watching first
)

// SignalKinds lists every kind of Signal, in the order they are shown.
var SignalKinds = []string{
	SignalRageClick, SignalDeadClick, SignalErrorClick, SignalJSError, SignalFailedRequest,
	SignalSlowRequest, SignalSlowPage, SignalThrashingCursor, SignalExcessiveScroll,
	SignalQuickBack, SignalFormAbandon, SignalSlowForm, SignalInactivity,
}

// SessionFilter picks sessions; the zero value picks all. Every condition
// set must hold. Backends must treat every value as data, never as syntax.
type SessionFilter struct {
	Project int64 // 0: every project
	// Projects, when not nil, keeps only sessions of these projects: the
	// ones the asking user may see. Empty keeps none.
	Projects []int64

	// URL, Entry and Exit match a page URL: a pattern with * or ? is a
	// glob over the whole URL (case-sensitive); anything else is a
	// substring, ASCII case-insensitive. URL matches any page visited.
	URL, Entry, Exit string

	MinDuration, MaxDuration *time.Duration
	MinActive                *time.Duration
	// From and To bound the session's start, both inclusive.
	From, To time.Time

	Device, OS string // exact, ASCII case-insensitive
	Browser    string // the name with or without its version: "Chrome" or "Chrome 120"

	Recorded string            // the recorder's session id: every part of it
	User     string            // the user id the site identified the visitor by
	Traits   map[string]string // each trait the session must carry, exactly
	Events   []string          // custom event names the site must have tracked

	Signals []SignalAtLeast

	Converted, NotConverted []string // goal names

	// Live, when set, keeps the sessions whose last event is (true) or is
	// not (false) at or after LiveSince: dated as the index dates them.
	Live      *bool
	LiveSince time.Time
	Bounce    *bool
	Q         string // free text: words that must all appear, each as a word prefix

	Tags []string // tags the session must carry (all), as NormalizeTag gives them
	// Watched, when set, keeps the sessions the query's Viewer has (true)
	// or has not (false) opened in the player.
	Watched *bool
}

// SignalAtLeast asks for at least N signals of a kind.
type SignalAtLeast struct {
	Kind string
	N    int
}

// SessionQuery is one page of a search.
type SessionQuery struct {
	Filter SessionFilter
	Sort   string // a Sort* name; "" is SortNewest
	Limit  int
	Cursor string // from the previous page's Next; "" for the first page
	// Count asks for the number of matching sessions (see SessionPage).
	Count bool
	// Viewer is the user asking, whose watched sessions Session.Watched
	// and Filter.Watched tell; 0 for none (an API token).
	Viewer int64
}

// SessionResults is one page of a search's results.
type SessionResults struct {
	Sessions []Session
	// Next continues the search after this page; "" on the last page.
	Next string
	// Count is how many sessions match the whole filter; CountCapped
	// means there are at least that many.
	Count       int
	CountCapped bool
}

// Score says how much a session is worth watching: the sum of its parts
// (docs/signals.md, "Score").
type Score struct {
	Total float64
	Parts []ScorePart
}

// ScorePart is one reason a session scores.
type ScorePart struct {
	Reason string  `json:"reason"`
	Count  int     `json:"count"`
	Points float64 `json:"points"`
}

// Goal is a conversion a project counts: a page visited whose URL
// matches URL (a glob), or a custom event named Event.
type Goal struct {
	Project int64
	Name    string
	URL     string
	Event   string
	// Intent is a glob of the page URLs that show a visitor meant to
	// convert; see IntentGlob for the one a URL goal has by default.
	Intent string
}

// GoalResult is whether a session reached a goal, and when first.
type GoalResult struct {
	Name    string
	Reached bool
	At      time.Time
}

// What the index keeps of one window's analysis, so that a busy or hostile
// page cannot make a session's rows, or the cost of replacing them, grow
// without bound. Longer strings are cut (at a character boundary).
const (
	MaxSignals      = 500  // signals per window; the first ones are kept
	MaxVisits       = 200  // pages with their time per window
	MaxCustomEvents = 100  // distinct custom event names per window
	MaxShown        = 1000 // times a tab was shown or hidden per window; the first ones are kept
	MaxTraits       = 50   // traits per window, and per session
	MaxTexts        = 200  // free-text strings per window
	MaxTextBytes    = 500  // bytes of each text, title, selector, detail, trait and name
	MaxURLBytes     = 2048 // bytes of each URL
)

// Cut shortens s to at most n bytes without splitting a UTF-8 character.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Words splits free text into the words search looks for: runs of letters
// and digits, as the index's tokenizer cuts text.
func Words(q string) []string {
	return strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}
