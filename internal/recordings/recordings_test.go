package recordings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every recording is a well-formed rrweb stream per window: each page load
// is a Meta event before its FullSnapshot, no incremental event comes before
// the first snapshot, and time never goes back.
func TestWindowsAreStreams(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		for _, w := range r.Windows {
			where := r.Name + "/" + w.ID
			var last int64
			metas, snapshots := 0, 0
			for i, e := range w.Events {
				ts := Timestamp(e)
				if ts < last {
					t.Fatalf("%s: event %d at %d goes back from %d", where, i, ts, last)
				}
				last = ts
				switch Type(e) {
				case typeMeta:
					metas++
				case typeFullSnapshot:
					snapshots++
					if snapshots > metas {
						t.Errorf("%s: FullSnapshot %d has no Meta before it", where, snapshots)
					}
				case typeIncremental:
					if snapshots == 0 {
						t.Errorf("%s: event %d is incremental before any snapshot", where, i)
					}
				}
			}
			if metas == 0 || metas != snapshots {
				t.Errorf("%s: %d Meta and %d FullSnapshot events, want one of each per page", where, metas, snapshots)
			}
		}
	}
}

// What the tests that use the recordings rely on.
func TestWhatTheRecordingsShow(t *testing.T) {
	shop := load(t, DemoShop)
	if f := shop.Facts(); f.Windows != 1 || f.Pages != 3 || !strings.HasSuffix(f.EntryURL, "/demo/") {
		t.Errorf("%s: %+v, want one window with the product list, a product and the checkout", DemoShop, f)
	}
	raw := joined(shop)
	if !bytes.Contains(raw, []byte("Thank you")) {
		t.Errorf("%s: the order's confirmation is not in the recording", DemoShop)
	}
	// Playhead's recorder masks what is typed.
	for _, typed := range []string{"Ada Lovelace", "ada@example.com", "correct horse battery"} {
		if bytes.Contains(raw, []byte(typed)) {
			t.Errorf("%s: the typed %q is in the recording", DemoShop, typed)
		}
	}

	two := load(t, TwoWindows)
	if f := two.Facts(); f.Windows != 2 || f.Pages != 2 {
		t.Errorf("%s: %+v, want two windows of a page each", TwoWindows, f)
	}
	if first, second := two.Windows[0].Events, two.Windows[1].Events; Timestamp(first[len(first)-1]) >= Timestamp(second[0]) {
		t.Errorf("%s: the windows overlap; the second must open after the first has closed", TwoWindows)
	}
	for i, text := range []string{"Signed up as Ada Lovelace", "Fixture complete"} {
		if !bytes.Contains(joined(Recording{Windows: two.Windows[i : i+1]}), []byte(text)) {
			t.Errorf("%s: window %d does not show %q", TwoWindows, i+1, text)
		}
	}
}

// The table of testdata/README.md says what the files hold.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names {
		f := load(t, name).Facts()
		st, err := os.Stat("testdata/" + name + ".jsonl")
		if err != nil {
			t.Fatal(err)
		}
		row := fmt.Sprintf("| `%s.jsonl` | %d | %d | %d | %d | %d |", name, f.Windows, f.Events, f.Pages, f.DurationMS, st.Size())
		if !bytes.Contains(readme, []byte(row)) {
			got := regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(name) + "\\.jsonl`.*$").Find(readme)
			t.Errorf("README row of %s is\n%s\nwant\n%s", name, got, row)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "\n", `{"window":"w","events":[]}`, `{"window":"","events":[{}]}`, `{"window":"w","events":[{}],"x":1}`, `[1]`} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) took it", in)
		}
	}
}

func load(t *testing.T, name string) Recording {
	t.Helper()
	r, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func joined(r Recording) []byte {
	var b bytes.Buffer
	Write(&b, r.Windows)
	return b.Bytes()
}

// A recording moved in time keeps its events, their order and the time
// between them; only the clock moves, to end where asked.
func TestEndingAt(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2031, 5, 4, 3, 2, 1, 0, time.UTC)
	for _, r := range all {
		moved, err := r.EndingAt(end)
		if err != nil {
			t.Fatal(err)
		}
		before, after := r.Events(), moved.Events()
		if len(after) != len(before) {
			t.Fatalf("%s: %d events moved, want %d", r.Name, len(after), len(before))
		}
		if last := Timestamp(after[len(after)-1]); last != end.UnixMilli() {
			t.Errorf("%s ends at %d, want %d", r.Name, last, end.UnixMilli())
		}
		shift := Timestamp(after[0]) - Timestamp(before[0])
		for i := range before {
			var a, b map[string]any
			json.Unmarshal(before[i], &b)
			json.Unmarshal(after[i], &a)
			if Timestamp(after[i])-Timestamp(before[i]) != shift {
				t.Fatalf("%s: event %d moved by %d ms, the first by %d", r.Name, i, Timestamp(after[i])-Timestamp(before[i]), shift)
			}
			delete(a, "timestamp")
			delete(b, "timestamp")
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: event %d changed beyond its time", r.Name, i)
			}
		}
	}
}
