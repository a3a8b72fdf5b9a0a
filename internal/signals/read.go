package signals

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// reader reads rrweb's events in one pass over their JSON, decoding what
// the analysis reads and skipping the rest without building it. What it
// gives is what encoding/json gives for the shapes in event.go and dom.go
// (parse_test.go holds it to that): the same syntax errors, field names
// matched as encoding/json matches them, a later duplicate merged into
// what an earlier one decoded, and a value of the wrong kind making the
// event unreadable rather than the batch.
type reader struct {
	data  []byte
	pos   int
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

// errSyntax is JSON that is not JSON.
var errSyntax = errors.New("invalid JSON")

func (r *reader) fail(what string) error {
	if r.pos >= len(r.data) {
		return fmt.Errorf("%w: unexpected end", errSyntax)
	}
	return fmt.Errorf("%w: %s at byte %d", errSyntax, what, r.pos)
}

func (r *reader) reset(data []byte) {
	r.data, r.pos, r.depth, r.bad = data, 0, 0, false
}

// peek skips space and returns the next byte, or 0 at the end.
func (r *reader) peek() byte {
	d := r.data
	for r.pos < len(d) {
		switch c := d[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

// end checks that nothing but space follows the top-level value.
func (r *reader) end() error {
	if r.peek(); r.pos != len(r.data) {
		return r.fail("data after the JSON value")
	}
	return nil
}

// open enters the object or array whose first byte is next.
func (r *reader) open() error {
	r.pos++
	if r.depth++; r.depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", errSyntax, maxDepth)
	}
	return nil
}

// next moves to the next member or element of the object or array that
// closes with end, reporting false at its end. first is true before the
// first one.
func (r *reader) next(end byte, first bool) (bool, error) {
	c := r.peek()
	if c == end {
		r.pos++
		r.depth--
		return false, nil
	}
	if first {
		return true, nil
	}
	if c != ',' {
		return false, r.fail("expected ',' or '" + string(end) + "'")
	}
	r.pos++
	return true, nil
}

// key reads a member's key and its colon. The key is unquoted; it is only
// valid until the next key.
func (r *reader) key() ([]byte, error) {
	if r.peek() != '"' {
		return nil, r.fail("expected a string key")
	}
	s, plain, err := r.str()
	if err != nil {
		return nil, err
	}
	if !plain {
		r.keyBuf = unquote(r.keyBuf[:0], s)
		s = r.keyBuf
	}
	if r.peek() != ':' {
		return nil, r.fail("expected ':' after a key")
	}
	r.pos++
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

// Word-at-a-time tests, as in the ingest scanner: whether any byte of x
// is zero, or below n (n ≤ 128).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func hasZero(x uint64) bool         { return (x-ones)&^x&highs != 0 }
func hasLess(x uint64, n byte) bool { return (x-ones*uint64(n))&^x&highs != 0 }
func plainString(x uint64) bool {
	return x&highs == 0 && !hasLess(x, 0x20) && !hasZero(x^(ones*'"')) && !hasZero(x^(ones*'\\'))
}

// str reads a string whose quote is next and returns its bytes between
// the quotes. plain says they are its text: printable ASCII without
// escapes. Bytes that are not UTF-8 are allowed, as encoding/json allows
// them (and unquote replaces them).
func (r *reader) str() (s []byte, plain bool, err error) {
	d := r.data
	r.pos++ // "
	start := r.pos
	plain = true
	for r.pos < len(d) {
		for r.pos+8 <= len(d) && plainString(binary.LittleEndian.Uint64(d[r.pos:])) {
			r.pos += 8
		}
		if r.pos >= len(d) {
			break
		}
		switch c := d[r.pos]; {
		case c == '"':
			r.pos++
			return d[start : r.pos-1], plain, nil
		case c == '\\':
			plain = false
			if r.pos+1 >= len(d) {
				return nil, false, r.fail("unterminated string")
			}
			switch d[r.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				r.pos += 2
			case 'u':
				if r.pos+6 > len(d) || !isHex(d[r.pos+2]) || !isHex(d[r.pos+3]) || !isHex(d[r.pos+4]) || !isHex(d[r.pos+5]) {
					return nil, false, r.fail(`invalid \u escape`)
				}
				r.pos += 6
			default:
				return nil, false, r.fail("invalid escape in a string")
			}
		case c < 0x20:
			return nil, false, r.fail("control character in a string")
		default:
			if c >= utf8.RuneSelf {
				plain = false
			}
			r.pos++
		}
	}
	return nil, false, r.fail("unterminated string")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
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

// number reads a number and returns its text.
func (r *reader) number() ([]byte, error) {
	d, start := r.data, r.pos
	digits := func() int {
		n := 0
		for r.pos < len(d) && '0' <= d[r.pos] && d[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if d[r.pos] == '-' {
		r.pos++
	}
	switch {
	case r.pos < len(d) && d[r.pos] == '0':
		r.pos++
	case digits() == 0:
		return nil, r.fail("invalid number")
	}
	if r.pos < len(d) && d[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			return nil, r.fail("invalid number")
		}
	}
	if r.pos < len(d) && (d[r.pos] == 'e' || d[r.pos] == 'E') {
		r.pos++
		if r.pos < len(d) && (d[r.pos] == '+' || d[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			return nil, r.fail("invalid number")
		}
	}
	return d[start:r.pos], nil
}

func (r *reader) literal(word string) error {
	if len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		return r.fail("invalid literal")
	}
	r.pos += len(word)
	return nil
}

// skip reads past any value.
func (r *reader) skip() error {
	switch c := r.peek(); {
	case c == '{':
		if err := r.open(); err != nil {
			return err
		}
		for more, err := r.next('}', true); ; more, err = r.next('}', false) {
			if err != nil || !more {
				return err
			}
			if r.peek() != '"' {
				return r.fail("expected a string key")
			}
			if _, _, err := r.str(); err != nil {
				return err
			}
			if r.peek() != ':' {
				return r.fail("expected ':' after a key")
			}
			r.pos++
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
		_, err := r.number()
		return err
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	default:
		return r.fail("unexpected byte")
	}
}
