package ingest

import (
	"fmt"

	"github.com/playhead/playhead/internal/jsonlex"
)

// scanner checks JSON in one pass, without building values: ingest needs
// only a few fields of each event and must pass the rest on byte for byte.
// It is strict RFC 8259 (and rejects invalid UTF-8, which no browser sends)
// and bounds nesting, so that a hostile body costs one linear scan.
type scanner struct {
	jsonlex.Lexer
	depth    int
	maxDepth int
}

func newScanner(data []byte, maxDepth int) scanner {
	return scanner{Lexer: jsonlex.Lexer{Data: data, StrictUTF8: true}, maxDepth: maxDepth}
}

// errDepth reports JSON nested deeper than allowed.
type errDepth struct{ max int }

func (e errDepth) Error() string { return fmt.Sprintf("JSON is nested deeper than %d levels", e.max) }

// value checks any JSON value.
func (s *scanner) value() error {
	switch c := s.Peek(); {
	case c == '{':
		return s.object(func([]byte, bool) error { return s.value() })
	case c == '[':
		return s.array(s.value)
	case c == '"':
		_, _, _, err := s.String()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := s.Number()
		return err
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Literal("null")
	default:
		return s.Fail(fmt.Sprintf("unexpected %s", describe(c)))
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
	s.Pos++ // {
	if s.Peek() == '}' {
		s.Pos++
		s.depth--
		return nil
	}
	for {
		if s.Peek() != '"' {
			return s.Fail("expected a string key")
		}
		start, end, _, err := s.String()
		if err != nil {
			return err
		}
		if s.Peek() != ':' {
			return s.Fail("expected ':' after a key")
		}
		s.Pos++
		key := s.Data[start+1 : end-1]
		if err := member(key, hasEscape(key)); err != nil {
			return err
		}
		switch s.Peek() {
		case ',':
			s.Pos++
		case '}':
			s.Pos++
			s.depth--
			return nil
		default:
			return s.Fail("expected ',' or '}' in an object")
		}
	}
}

// array checks an array, calling elem with the scanner on each element.
func (s *scanner) array(elem func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.Pos++ // [
	if s.Peek() == ']' {
		s.Pos++
		s.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.Peek() {
		case ',':
			s.Pos++
		case ']':
			s.Pos++
			s.depth--
			return nil
		default:
			return s.Fail("expected ',' or ']' in an array")
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
