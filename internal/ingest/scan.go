package ingest

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// scanner checks JSON in one pass, without building values: ingest needs
// only a few fields of each event and must pass the rest on byte for byte.
// It is strict RFC 8259 (and rejects invalid UTF-8, which no browser sends)
// and bounds nesting, so that a hostile body costs one linear scan.
type scanner struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
}

// syntaxError says where the JSON went wrong, in terms a client can act on.
type syntaxError struct {
	msg string
	pos int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.pos) }

// errDepth reports JSON nested deeper than allowed.
type errDepth struct{ max int }

func (e errDepth) Error() string { return fmt.Sprintf("JSON is nested deeper than %d levels", e.max) }

func (s *scanner) fail(msg string) error {
	if s.pos >= len(s.data) {
		return &syntaxError{"unexpected end of JSON", s.pos}
	}
	return &syntaxError{msg, s.pos}
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.space()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// end checks that nothing but space follows the top-level value.
func (s *scanner) end() error {
	if s.space(); s.pos != len(s.data) {
		return s.fail("data after the JSON value")
	}
	return nil
}

// value checks any JSON value.
func (s *scanner) value() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte, bool) error { return s.value() })
	case c == '[':
		return s.array(s.value)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.fail(fmt.Sprintf("unexpected %s", describe(c)))
	}
}

func describe(c byte) string {
	if c == 0 {
		return "end of JSON"
	}
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return fmt.Sprintf("%q", c)
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) enter() error {
	if s.depth++; s.depth > s.maxDepth {
		return errDepth{s.maxDepth}
	}
	return nil
}

// object checks an object, calling member for each key with the scanner
// on the member's value; member must consume that value. escaped reports
// that the key has escapes, so its bytes are not its text.
func (s *scanner) object(member func(key []byte, escaped bool) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // {
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a string key")
		}
		start, end, err := s.str()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.fail("expected ':' after a key")
		}
		s.pos++
		key := s.data[start+1 : end-1]
		if err := member(key, hasEscape(key)); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}' in an object")
		}
	}
}

// array checks an array, calling elem with the scanner on each element.
func (s *scanner) array(elem func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // [
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']' in an array")
		}
	}
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// Word-at-a-time tests: whether any byte of x is zero, or below n (n <=
// 128). Exact as booleans.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func hasZero(x uint64) bool         { return (x-ones)&^x&highs != 0 }
func hasLess(x uint64, n byte) bool { return (x-ones*uint64(n))&^x&highs != 0 }
func plainString(x uint64) bool {
	return x&highs == 0 && !hasLess(x, 0x20) && !hasZero(x^(ones*'"')) && !hasZero(x^(ones*'\\'))
}

// str checks a string and returns its span, quotes included.
func (s *scanner) str() (start, end int, err error) {
	start = s.pos
	s.pos++ // "
	d := s.data
	for s.pos < len(d) {
		// Most of rrweb's bytes are in long runs of plain ASCII inside
		// strings (text, attributes, CSS): skip them eight at a time.
		for s.pos+8 <= len(d) && plainString(binary.LittleEndian.Uint64(d[s.pos:])) {
			s.pos += 8
		}
		if s.pos >= len(d) {
			break
		}
		c := d[s.pos]
		switch {
		case c == '"':
			s.pos++
			return start, s.pos, nil
		case c == '\\':
			if s.pos+1 >= len(d) {
				return 0, 0, s.fail("unterminated string")
			}
			switch d[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(d) || !isHex(d[s.pos+2]) || !isHex(d[s.pos+3]) || !isHex(d[s.pos+4]) || !isHex(d[s.pos+5]) {
					return 0, 0, s.fail(`invalid \u escape`)
				}
				s.pos += 6
			default:
				return 0, 0, s.fail("invalid escape in a string")
			}
		case c < 0x20:
			return 0, 0, s.fail("control character in a string")
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(d[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return 0, 0, s.fail("invalid UTF-8 in a string")
			}
			s.pos += size
		}
	}
	return 0, 0, s.fail("unterminated string")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number checks a number and returns its text.
func (s *scanner) number() ([]byte, error) {
	d, start := s.data, s.pos
	digits := func() int {
		n := 0
		for s.pos < len(d) && '0' <= d[s.pos] && d[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case digits() == 0:
		return nil, s.fail("invalid number")
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return nil, s.fail("invalid number")
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return nil, s.fail("invalid number")
		}
	}
	return d[start:s.pos], nil
}
