package chunk_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/chunk"
)

func split(t *testing.T, s string) []chunk.Event {
	t.Helper()
	var out []chunk.Event
	if err := chunk.Split([]byte(s), func(e chunk.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("split %s: %v", s, err)
	}
	return out
}

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		in    string
		raws  []string
		types []int
		ts    []int64
	}{
		{`[]`, nil, nil, nil},
		{` [ ] `, nil, nil, nil},
		{`[{"type":4,"data":{},"timestamp":5}]`, []string{`{"type":4,"data":{},"timestamp":5}`}, []int{4}, []int64{5}},
		{"[\n {\"timestamp\": 1.9e3 , \"data\":{\"s\":\"}]\\\"{\"},\"type\":3} ,{}]",
			[]string{"{\"timestamp\": 1.9e3 , \"data\":{\"s\":\"}]\\\"{\"},\"type\":3}", `{}`}, []int{3, 0}, []int64{1900, 0}},
		{`[{"data":[1,[2,{"type":9}]],"type":2,"timestamp":17e11}]`, []string{`{"data":[1,[2,{"type":9}]],"type":2,"timestamp":17e11}`}, []int{2}, []int64{1700000000000}},
	} {
		got := split(t, tt.in)
		if len(got) != len(tt.raws) {
			t.Fatalf("%s: %d events, want %d", tt.in, len(got), len(tt.raws))
		}
		for i, e := range got {
			if string(e.Raw) != tt.raws[i] || e.Type != tt.types[i] || e.Timestamp != tt.ts[i] {
				t.Errorf("%s: event %d = %s %d %d, want %s %d %d", tt.in, i, e.Raw, e.Type, e.Timestamp, tt.raws[i], tt.types[i], tt.ts[i])
			}
		}
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, in := range []string{``, `{}`, `[`, `[{}`, `[{},]`, `[1]`, `[{"a"}]`, `[{"a":}]`, `[{"a":"x}]`, `[{}] x`, `[{"a":[}]`} {
		err := chunk.Split([]byte(in), func(chunk.Event) error { return nil })
		if !errors.Is(err, chunk.ErrSyntax) {
			t.Errorf("split %q: %v, want ErrSyntax", in, err)
		}
	}
}

func TestBuildSortsAndRoundTrips(t *testing.T) {
	events := split(t, `[{"type":3,"timestamp":30},{"type":4,"timestamp":10},{"type":2,"timestamp":10},{"type":3,"timestamp":20}]`)
	blob, m := chunk.Build(events, nil)
	if m.First != 10 || m.Last != 30 || m.Events != 4 || !m.Full {
		t.Errorf("meta %+v, want 10..30, 4 events, full", m)
	}
	raw, err := chunk.Decode(blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":4,"timestamp":10},{"type":2,"timestamp":10},{"type":3,"timestamp":20},{"type":3,"timestamp":30}]`
	if string(raw) != want || m.Raw != len(want) {
		t.Errorf("decoded %s (%d bytes), want %s", raw, m.Raw, want)
	}
	if _, m := chunk.Build(split(t, `[{"type":3,"timestamp":1},{"type":2,"timestamp":2}]`), nil); m.Full {
		t.Error("a chunk that starts with a mutation is marked as starting with a full snapshot")
	}
	if _, err := chunk.Decode([]byte("not zstd"), nil); !errors.Is(err, chunk.ErrCorrupt) {
		t.Errorf("decode of junk: %v, want ErrCorrupt", err)
	}
}

// Split agrees with encoding/json on every array of objects it accepts,
// and never panics.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{`[]`, `[{"type":4,"timestamp":1,"data":{"href":"x"}}]`, `[{"a":"\"]"},{"timestamp":-1.5}]`, `[{`, `[{"a":[{"b":"}"}]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []chunk.Event
		err := chunk.Split(b, func(e chunk.Event) error { got = append(got, e); return nil })
		if err != nil {
			return
		}
		var want []map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil {
			// Split skips over values it does not need and so accepts
			// some malformed ones; it is never given outside input.
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%d events, encoding/json has %d", len(got), len(want))
		}
		for i, e := range got {
			var one map[string]json.RawMessage
			if err := json.Unmarshal(e.Raw, &one); err != nil {
				t.Fatalf("event %d %q is not an object: %v", i, e.Raw, err)
			}
			if ts, ok := want[i]["timestamp"]; ok && !strings.ContainsAny(string(ts), `"{[tfn`) {
				var f float64
				if json.Unmarshal(ts, &f) == nil && f > -1e15 && f < 1e15 && int64(f) != e.Timestamp {
					t.Fatalf("event %d timestamp %d, encoding/json reads %s", i, e.Timestamp, ts)
				}
			}
		}
	})
}
