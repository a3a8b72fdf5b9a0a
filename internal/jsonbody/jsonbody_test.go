package jsonbody_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/jsonbody"
)

type pair struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		body string
		want pair
		err  error // nil: accepted; errAny: any error
	}{
		{`{"name":"a","count":2}`, pair{"a", 2}, nil},
		{" \t\r\n{\"name\":\"a\"} \n", pair{Name: "a"}, nil},
		{`{}`, pair{}, nil},
		{`{"name":"a"}{"name":"b"}`, pair{}, jsonbody.ErrTrailing},
		{`{"name":"a"} x`, pair{}, jsonbody.ErrTrailing},
		{"{\"name\":\"a\"}\v", pair{}, jsonbody.ErrTrailing},
		{`{"name":"a"}}`, pair{}, jsonbody.ErrTrailing},
		{`{"name":"a","colour":"red"}`, pair{}, errAny},
		{`{"count":"2"}`, pair{}, errAny},
		{`[]`, pair{}, jsonbody.ErrNotObject},
		{`null`, pair{}, jsonbody.ErrNotObject},
		{` "a"`, pair{}, jsonbody.ErrNotObject},
		{``, pair{}, jsonbody.ErrNotObject},
		{`{"name":`, pair{}, errAny},
		{`{"name":"` + strings.Repeat("a", 100) + `"}`, pair{}, jsonbody.ErrTooLarge},
	} {
		var got pair
		err := jsonbody.Decode(strings.NewReader(tt.body), 64, &got)
		switch {
		case tt.err == nil && err != nil:
			t.Errorf("%q: %v", tt.body, err)
		case tt.err == nil && got != tt.want:
			t.Errorf("%q: %+v, want %+v", tt.body, got, tt.want)
		case tt.err == errAny && err == nil, tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
			t.Errorf("%q: error %v, want %v", tt.body, err, tt.err)
		}
	}
}

var errAny = errors.New("any error")

// FuzzDecode checks that what Decode accepts is one object that
// json.Unmarshal, the strict reader of a whole value, accepts too, of those
// fields, read the same.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","count":2}`, `{}`, `{"name":"a"}{}`, `{"name":"a"} `, `{"Name":"a"}`, `{"colour":1}`, `null`, `[]`, ``, "{}\v", `{"count":1e2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var got pair
		if err := jsonbody.Decode(strings.NewReader(body), 1<<10, &got); err != nil {
			return
		}
		var want pair
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("accepted %q, which json.Unmarshal refuses: %v", body, err)
		}
		if got != want {
			t.Fatalf("%q read as %+v, json.Unmarshal reads %+v", body, got, want)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &fields); err != nil || fields == nil {
			t.Fatalf("accepted %q, which is not an object", body)
		}
		for k := range fields {
			if !strings.EqualFold(k, "name") && !strings.EqualFold(k, "count") {
				t.Errorf("accepted %q with the field %q", body, k)
			}
		}
	})
}
