package chunk

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrSyntax means a JSON array of events is not one.
var ErrSyntax = errors.New("not a JSON array of event objects")

// Split calls fn with each event of a JSON array of event objects, in
// order, each with its raw bytes (a slice of b), type and timestamp. It
// reads only the members it needs and skips over the rest without
// decoding them: stored events were checked when they were ingested, and
// reading them back must cost little. A number with a fraction is cut to
// whole milliseconds.
func Split(b []byte, fn func(Event) error) error {
	i := space(b, 0)
	if i >= len(b) || b[i] != '[' {
		return fmt.Errorf("%w: no array at byte %d", ErrSyntax, i)
	}
	i = space(b, i+1)
	if i < len(b) && b[i] == ']' {
		return end(b, i+1)
	}
	for {
		e, next, err := object(b, i)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
		i = space(b, next)
		if i >= len(b) {
			return fmt.Errorf("%w: unterminated array", ErrSyntax)
		}
		switch b[i] {
		case ',':
			i = space(b, i+1)
		case ']':
			return end(b, i+1)
		default:
			return fmt.Errorf("%w: unexpected %q at byte %d", ErrSyntax, b[i], i)
		}
	}
}

func end(b []byte, i int) error {
	if i = space(b, i); i != len(b) {
		return fmt.Errorf("%w: data after the array at byte %d", ErrSyntax, i)
	}
	return nil
}

func space(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// object reads the event object at b[i:].
func object(b []byte, i int) (Event, int, error) {
	start := i
	if i >= len(b) || b[i] != '{' {
		return Event{}, 0, fmt.Errorf("%w: an event is not an object at byte %d", ErrSyntax, i)
	}
	var e Event
	i = space(b, i+1)
	if i < len(b) && b[i] == '}' {
		e.Raw = b[start : i+1]
		return e, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return Event{}, 0, fmt.Errorf("%w: no member name at byte %d", ErrSyntax, i)
		}
		keyEnd, err := str(b, i)
		if err != nil {
			return Event{}, 0, err
		}
		key := b[i+1 : keyEnd-1]
		i = space(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return Event{}, 0, fmt.Errorf("%w: no ':' at byte %d", ErrSyntax, i)
		}
		i = space(b, i+1)
		vEnd, err := value(b, i)
		if err != nil {
			return Event{}, 0, err
		}
		switch string(key) {
		case "type", "timestamp":
			f, err := strconv.ParseFloat(string(b[i:vEnd]), 64)
			if err == nil {
				if key[0] == 't' && len(key) == 4 {
					e.Type = int(f)
				} else {
					e.Timestamp = int64(f)
				}
			}
		}
		i = space(b, vEnd)
		if i >= len(b) {
			return Event{}, 0, fmt.Errorf("%w: unterminated object", ErrSyntax)
		}
		switch b[i] {
		case ',':
			i = space(b, i+1)
		case '}':
			e.Raw = b[start : i+1]
			return e, i + 1, nil
		default:
			return Event{}, 0, fmt.Errorf("%w: unexpected %q at byte %d", ErrSyntax, b[i], i)
		}
	}
}

// str returns the end of the string that starts at b[i] == '"'.
func str(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: unterminated string at byte %d", ErrSyntax, i)
}

// value returns the end of the JSON value at b[i:].
func value(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("%w: missing value", ErrSyntax)
	}
	switch b[i] {
	case '"':
		return str(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := str(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated value at byte %d", ErrSyntax, i)
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			if j == i {
				return 0, fmt.Errorf("%w: missing value at byte %d", ErrSyntax, i)
			}
			return j, nil
		}
		j++
	}
	return 0, fmt.Errorf("%w: unterminated value at byte %d", ErrSyntax, i)
}
