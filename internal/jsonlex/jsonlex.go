// Package jsonlex reads the tokens of JSON text in one pass over its
// bytes, without building values: white space, strings, numbers and
// literals, each checked as RFC 8259 has it. Ingest's check of a batch and
// the analysis's reader of events build their grammar on it; both read
// megabytes of rrweb's JSON a second, so strings are skipped eight bytes
// at a time.
package jsonlex

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// Lexer reads Data from Pos.
type Lexer struct {
	Data []byte
	Pos  int
	// StrictUTF8 refuses strings that are not UTF-8 (no browser sends
	// them). Without it they pass, as encoding/json lets them.
	StrictUTF8 bool
}

// SyntaxError says where the JSON went wrong, in terms a client can act on.
type SyntaxError struct {
	Msg string
	Pos int
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Pos) }

// Fail returns a SyntaxError at the current byte, or one of an unexpected
// end when the text ends there.
func (l *Lexer) Fail(msg string) error {
	if l.Pos >= len(l.Data) {
		return &SyntaxError{"unexpected end of JSON", l.Pos}
	}
	return &SyntaxError{msg, l.Pos}
}

// Peek skips white space and returns the next byte, or 0 at the end.
func (l *Lexer) Peek() byte {
	d := l.Data
	for l.Pos < len(d) {
		switch c := d[l.Pos]; c {
		case ' ', '\t', '\n', '\r':
			l.Pos++
		default:
			return c
		}
	}
	return 0
}

// End checks that nothing but white space follows the top-level value.
func (l *Lexer) End() error {
	if l.Peek(); l.Pos != len(l.Data) {
		return l.Fail("data after the JSON value")
	}
	return nil
}

// Word-at-a-time tests: whether any byte of x is zero, or below n (n ≤
// 128). Exact as booleans.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func hasZero(x uint64) bool         { return (x-ones)&^x&highs != 0 }
func hasLess(x uint64, n byte) bool { return (x-ones*uint64(n))&^x&highs != 0 }

// plainString says whether eight bytes are all printable ASCII other than
// a quote or a backslash.
func plainString(x uint64) bool {
	return x&highs == 0 && !hasLess(x, 0x20) && !hasZero(x^(ones*'"')) && !hasZero(x^(ones*'\\'))
}

// String reads the string whose quote is next and returns its span,
// quotes included. plain says the bytes between the quotes are its text:
// printable ASCII without escapes.
func (l *Lexer) String() (start, end int, plain bool, err error) {
	d := l.Data
	start = l.Pos
	l.Pos++ // "
	plain = true
	for l.Pos < len(d) {
		// Most of rrweb's bytes are in long runs of plain ASCII inside
		// strings (text, attributes, CSS): skip them eight at a time.
		for l.Pos+8 <= len(d) && plainString(binary.LittleEndian.Uint64(d[l.Pos:])) {
			l.Pos += 8
		}
		if l.Pos >= len(d) {
			break
		}
		switch c := d[l.Pos]; {
		case c == '"':
			l.Pos++
			return start, l.Pos, plain, nil
		case c == '\\':
			plain = false
			if l.Pos+1 >= len(d) {
				return 0, 0, false, l.Fail("unterminated string")
			}
			switch d[l.Pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.Pos += 2
			case 'u':
				if l.Pos+6 > len(d) || !isHex(d[l.Pos+2]) || !isHex(d[l.Pos+3]) || !isHex(d[l.Pos+4]) || !isHex(d[l.Pos+5]) {
					return 0, 0, false, l.Fail(`invalid \u escape`)
				}
				l.Pos += 6
			default:
				return 0, 0, false, l.Fail("invalid escape in a string")
			}
		case c < 0x20:
			return 0, 0, false, l.Fail("control character in a string")
		case c < utf8.RuneSelf:
			l.Pos++
		case l.StrictUTF8:
			plain = false
			r, size := utf8.DecodeRune(d[l.Pos:])
			if r == utf8.RuneError && size == 1 {
				return 0, 0, false, l.Fail("invalid UTF-8 in a string")
			}
			l.Pos += size
		default:
			plain = false
			l.Pos++
		}
	}
	return 0, 0, false, l.Fail("unterminated string")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Number reads the number whose first byte is next and returns its text.
func (l *Lexer) Number() ([]byte, error) {
	d, start := l.Data, l.Pos
	digits := func() int {
		n := 0
		for l.Pos < len(d) && '0' <= d[l.Pos] && d[l.Pos] <= '9' {
			l.Pos++
			n++
		}
		return n
	}
	if d[l.Pos] == '-' {
		l.Pos++
	}
	switch {
	case l.Pos < len(d) && d[l.Pos] == '0':
		l.Pos++
	case digits() == 0:
		return nil, l.Fail("invalid number")
	}
	if l.Pos < len(d) && d[l.Pos] == '.' {
		l.Pos++
		if digits() == 0 {
			return nil, l.Fail("invalid number")
		}
	}
	if l.Pos < len(d) && (d[l.Pos] == 'e' || d[l.Pos] == 'E') {
		l.Pos++
		if l.Pos < len(d) && (d[l.Pos] == '+' || d[l.Pos] == '-') {
			l.Pos++
		}
		if digits() == 0 {
			return nil, l.Fail("invalid number")
		}
	}
	return d[start:l.Pos], nil
}

// Literal reads word (true, false or null), whose first byte is next.
func (l *Lexer) Literal(word string) error {
	if len(l.Data)-l.Pos < len(word) || string(l.Data[l.Pos:l.Pos+len(word)]) != word {
		return l.Fail("invalid literal")
	}
	l.Pos += len(word)
	return nil
}
