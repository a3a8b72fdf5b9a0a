package signals

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/playhead/playhead/internal/jsonlex"
)

// reader reads rrweb's events in one pass over their JSON, decoding what
// the analysis reads and skipping the rest without building it. What it
// gives is what encoding/json gives for the shapes in event.go and dom.go
// (parse_test.go holds it to that): the same syntax errors, field names
// matched as encoding/json matches them, a later duplicate merged into
// what an earlier one decoded, and a value of the wrong kind making the
// event unreadable rather than the batch.
type reader struct {
	jsonlex.Lexer
	depth int
	// bad records that a value did not fit where it was read (what
	// encoding/json reports as an UnmarshalTypeError): the value is
	// skipped and whoever reads the whole event leaves it out.
	bad bool

	buf       []byte    // unquoted strings, reused
	keyBuf    []byte    // unquoted keys, reused
	positions []wirePos // a move's positions, reused
	slab      []node    // nodes are cut from here
	slabSize  int
	stack     []*node // children being read
}

// maxDepth is encoding/json's bound on nesting.
const maxDepth = 10000

func (r *reader) reset(data []byte) {
	r.Data, r.Pos, r.depth, r.bad = data, 0, 0, false
}

// open enters the object or array whose first byte is next.
func (r *reader) open() error {
	r.Pos++
	if r.depth++; r.depth > maxDepth {
		return &jsonlex.SyntaxError{Msg: fmt.Sprintf("nested deeper than %d levels", maxDepth), Pos: r.Pos}
	}
	return nil
}

// next moves to the next member or element of the object or array that
// closes with end, reporting false at its end. first is true before the
// first one.
func (r *reader) next(end byte, first bool) (bool, error) {
	c := r.Peek()
	if c == end {
		r.Pos++
		r.depth--
		return false, nil
	}
	if first {
		return true, nil
	}
	if c != ',' {
		return false, r.Fail("expected ',' or '" + string(end) + "'")
	}
	r.Pos++
	return true, nil
}

// key reads a member's key and its colon. The key is unquoted; it is only
// valid until the next key.
func (r *reader) key() ([]byte, error) {
	if r.Peek() != '"' {
		return nil, r.Fail("expected a string key")
	}
	s, plain, err := r.str()
	if err != nil {
		return nil, err
	}
	if !plain {
		r.keyBuf = unquote(r.keyBuf[:0], s)
		s = r.keyBuf
	}
	if r.Peek() != ':' {
		return nil, r.Fail("expected ':' after a key")
	}
	r.Pos++
	return s, nil
}

// field returns the index in names of the field key names, as
// encoding/json matches them: exactly, or else equal under Unicode case
// folding. It is -1 for a key no field has.
func field(key []byte, names []string) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	ascii := true
	for _, c := range key {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	for i, n := range names {
		if ascii && len(key) != len(n) {
			continue
		}
		if bytes.EqualFold(key, []byte(n)) {
			return i
		}
	}
	return -1
}

// str reads a string whose quote is next and returns its bytes between
// the quotes. plain says they are its text: printable ASCII without
// escapes. Bytes that are not UTF-8 are allowed, as encoding/json allows
// them (and unquote replaces them).
func (r *reader) str() (s []byte, plain bool, err error) {
	start, end, plain, err := r.String()
	if err != nil {
		return nil, false, err
	}
	return r.Data[start+1 : end-1], plain, nil
}

// unquote appends the text of a string's bytes to dst as encoding/json
// does: escapes decoded, bytes that are not UTF-8 and lone surrogates as
// U+FFFD.
func unquote(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[i:])
				i += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[i:])); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // " \ /
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			rr, size := utf8.DecodeRune(s[i:])
			dst = utf8.AppendRune(dst, rr)
			i += size
		}
	}
	return dst
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// text returns the text of a string's bytes from str, in r.buf when it
// had to be unquoted: valid until the next call.
func (r *reader) text(s []byte, plain bool) []byte {
	if plain {
		return s
	}
	r.buf = unquote(r.buf[:0], s)
	return r.buf
}

// skip reads past any value.
func (r *reader) skip() error {
	switch c := r.Peek(); {
	case c == '{':
		if err := r.open(); err != nil {
			return err
		}
		for more, err := r.next('}', true); ; more, err = r.next('}', false) {
			if err != nil || !more {
				return err
			}
			if r.Peek() != '"' {
				return r.Fail("expected a string key")
			}
			if _, _, err := r.str(); err != nil {
				return err
			}
			if r.Peek() != ':' {
				return r.Fail("expected ':' after a key")
			}
			r.Pos++
			if err := r.skip(); err != nil {
				return err
			}
		}
	case c == '[':
		if err := r.open(); err != nil {
			return err
		}
		for more, err := r.next(']', true); ; more, err = r.next(']', false) {
			if err != nil || !more {
				return err
			}
			if err := r.skip(); err != nil {
				return err
			}
		}
	case c == '"':
		_, _, err := r.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := r.Number()
		return err
	case c == 't':
		return r.Literal("true")
	case c == 'f':
		return r.Literal("false")
	case c == 'n':
		return r.Literal("null")
	default:
		return r.Fail("unexpected byte")
	}
}
