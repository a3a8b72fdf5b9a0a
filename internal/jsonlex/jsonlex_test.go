package jsonlex

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in     string
		strict bool
		end    int // 0: an error
		plain  bool
	}{
		{`"abc"`, true, 5, true},
		{`"a long run of plain ascii text, past eight bytes"x`, true, 50, true},
		{`"a\"b"`, true, 6, false},
		{`"\u00e9t\u00E9"`, true, 15, false},
		{`"été"`, true, 7, false},
		{"\"\xff\"", false, 3, false},
		{"\"\xff\"", true, 0, false},
		{`"\x"`, true, 0, false},
		{`"\u12g4"`, true, 0, false},
		{"\"a\tb\"", true, 0, false},
		{`"unterminated`, true, 0, false},
		{`"`, true, 0, false},
	} {
		l := Lexer{Data: []byte(tc.in), StrictUTF8: tc.strict}
		start, end, plain, err := l.String()
		if tc.end == 0 {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%q: err %v, want a SyntaxError", tc.in, err)
			}
			continue
		}
		if err != nil || start != 0 || end != tc.end || plain != tc.plain || l.Pos != end {
			t.Errorf("%q: (%d, %d, %v, %v) at %d, want (0, %d, %v, nil)", tc.in, start, end, plain, err, l.Pos, tc.end, tc.plain)
		}
	}
}

func TestNumberAndLiteral(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"0", "0"}, {"-12.5e+3,", "-12.5e+3"}, {"10]", "10"}, {"01", "0"},
		{"-", ""}, {"1.", ""}, {"1e", ""}, {".5", ""},
	} {
		l := Lexer{Data: []byte(tc.in)}
		got, err := l.Number()
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: read %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	l := Lexer{Data: []byte("nul")}
	if err := l.Literal("null"); err == nil || err.Error() != "unexpected end of JSON at byte 0" && err.Error() != "invalid literal at byte 0" {
		t.Errorf("a cut literal: %v", err)
	}
	l = Lexer{Data: []byte(" true ")}
	if l.Peek() != 't' || l.Literal("true") != nil || l.End() != nil {
		t.Error("true with space around it is not read whole")
	}
}

// FuzzToken holds the lexer to encoding/json on one string or number: it
// accepts a token exactly when encoding/json accepts it as a whole value
// (strict UTF-8 aside, which encoding/json does not ask for).
func FuzzToken(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9"`, `"\ud800"`, "\"\xff\"", `-0.5e10`, `01`, `"a\tb"`, `1e+`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		for _, strict := range []bool{false, true} {
			l := Lexer{Data: b, StrictUTF8: strict}
			var err error
			switch c := l.Peek(); {
			case c == '"':
				_, _, _, err = l.String()
			case c == '-' || '0' <= c && c <= '9':
				_, err = l.Number()
			default:
				return
			}
			if err == nil {
				err = l.End()
			}
			want := json.Valid(b) && (!strict || utf8.Valid(b))
			if (err == nil) != want {
				t.Fatalf("%q (strict %v): lexer says %v, encoding/json valid %v", b, strict, err, want)
			}
		}
	})
}
