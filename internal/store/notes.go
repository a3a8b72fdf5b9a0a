package store

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// A Note is what someone wrote about a moment of a session: the moment is
// the recording's time (ms since the epoch, as the events' timestamps), so
// that it names the same moment whichever window or stretch is replayed.
type Note struct {
	ID      int64
	Project int64
	Session string
	Time    int64  // recording time, ms since the epoch
	Window  string // the window replayed when it was written; may be empty
	Text    string
	Author  string
	Created time.Time
}

// Notes are a few lines of text; a session holds a bounded number.
const (
	MaxNoteLength      = 2000 // characters
	MaxNotesPerSession = 200
)

var (
	// ErrInvalidNote means a note's text is empty or too long, or its
	// moment or window cannot be one of a recording.
	ErrInvalidNote = errors.New("a note is 1 to 2000 characters at a moment of the recording")
	// ErrTooManyNotes means a session already holds MaxNotesPerSession.
	ErrTooManyNotes = errors.New("a session holds at most 200 notes")
)

// NormalizeNote checks a note before it is kept and trims its text.
func NormalizeNote(n Note) (Note, error) {
	n.Text = strings.TrimSpace(n.Text)
	if n.Text == "" || !utf8.ValidString(n.Text) || utf8.RuneCountInString(n.Text) > MaxNoteLength {
		return Note{}, ErrInvalidNote
	}
	// Times are the recorder's, checked as ingest checks events': after
	// 2000 and not absurdly far ahead.
	if n.Time < 946684800000 || n.Time > 1<<52 {
		return Note{}, ErrInvalidNote
	}
	if !windowID(n.Window) {
		return Note{}, ErrInvalidNote
	}
	return n, nil
}

// windowID tells whether s can be a recorder's window id (or is empty):
// up to 64 of [A-Za-z0-9_-].
func windowID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
