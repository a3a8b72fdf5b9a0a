package store

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tags are short labels people put on sessions ("bug", "checkout:v2").
const (
	MaxTagLength      = 32 // characters
	MaxTagsPerSession = 20
)

var (
	// ErrInvalidTag means a tag is empty, too long or has a character
	// other than a letter, a digit, a space or one of - _ . : /.
	ErrInvalidTag = errors.New("a tag is 1 to 32 letters, digits, spaces or - _ . : /")
	// ErrTooManyTags means a session already carries MaxTagsPerSession.
	ErrTooManyTags = errors.New("a session carries at most 20 tags")
)

// NormalizeTag returns the form a tag is kept and matched in: trimmed,
// inner runs of spaces made one, lower case, so that "Bug" and "bug " are
// one tag.
func NormalizeTag(tag string) (string, error) {
	tag = strings.ToLower(strings.Join(strings.Fields(tag), " "))
	if tag == "" || utf8.RuneCountInString(tag) > MaxTagLength {
		return "", ErrInvalidTag
	}
	for _, r := range tag {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune(" -_.:/", r) {
			return "", ErrInvalidTag
		}
	}
	return tag, nil
}

// Segment is a saved filter of a project's session list: a name for a
// query of the search API.
type Segment struct {
	ID      int64
	Project int64
	Name    string
	Query   string // URL-encoded search parameters, without project, sort or cursor
	Created time.Time
	By      string
}

// MaxSegmentName bounds a segment's name, in characters.
const MaxSegmentName = 60
