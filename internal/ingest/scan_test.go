package ingest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// validJSON runs the scanner over one whole value.
func validJSON(data []byte, maxDepth int) error {
	sc := newScanner(data, maxDepth)
	s := &sc
	if err := s.value(); err != nil {
		return err
	}
	return s.End()
}

func TestScanner(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{` [1, -0, 0.5, 1e9, -2E-3, 1.5e+2, "a\"\\\/\b\f\n\r\t\u00e9", true, false, null, {"a": []}] `, true},
		{`"Hi 👋"`, true},
		{`"\ud83d\udc4b"`, true},
		{`01`, false},
		{`1.`, false},
		{`.5`, false},
		{`1e`, false},
		{`-`, false},
		{`+1`, false},
		{`[1,]`, false},
		{`{"a":1,}`, false},
		{`{"a" 1}`, false},
		{`{1:1}`, false},
		{`"a`, false},
		{`"\x"`, false},
		{`"\u12"`, false},
		{"\"a\tb\"", false},
		{"\"\xff\"", false},
		{`tru`, false},
		{`nul`, false},
		{`[] []`, false},
		{``, false},
		{`NaN`, false},
	}
	for _, tt := range tests {
		err := validJSON([]byte(tt.in), 100)
		if (err == nil) != tt.ok {
			t.Errorf("scan %q: err %v, want ok=%v", tt.in, err, tt.ok)
		}
		if tt.ok != (json.Valid([]byte(tt.in)) && utf8.ValidString(tt.in)) {
			t.Errorf("test case %q disagrees with encoding/json", tt.in)
		}
	}
}

func TestScannerDepth(t *testing.T) {
	deep := strings.Repeat("[", 10) + strings.Repeat("]", 10)
	if err := validJSON([]byte(deep), 10); err != nil {
		t.Errorf("10 levels with a limit of 10: %v", err)
	}
	var depth errDepth
	if err := validJSON([]byte(deep), 9); !errors.As(err, &depth) {
		t.Errorf("10 levels with a limit of 9: %v", err)
	}
	// A body nested a million deep costs a scan and a clear answer.
	body := `{"key":"k","session":"s","window":"w","seq":0,"events":[{"type":3,"timestamp":` + ts + `,"data":{"x":` +
		strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000) + `}}]}`
	_, err := Decode([]byte(body), "", testNow, DefaultLimits)
	var e *Error
	if !errors.As(err, &e) || e.Code != "too_deep" || e.Status != 400 {
		t.Errorf("deep body: %v", err)
	}
}

// FuzzScanner checks the scanner against encoding/json: both must agree on
// what is JSON (the scanner also insists on valid UTF-8).
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"]}`, `[true,false,null]`, `"\ud83d"`, `-0.0E+1`, `{"":{}}`} {
		f.Add([]byte(s))
	}
	for _, events := range recorded(f) {
		f.Add(events)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := validJSON(data, 10_000)
		want := json.Valid(data) && utf8.Valid(data)
		if (err == nil) != want {
			t.Fatalf("scanner says %v, encoding/json says valid=%v, for %q", err, want, data)
		}
	})
}
