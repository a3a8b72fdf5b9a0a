package api

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

func TestOpeningRange(t *testing.T) {
	chunk := func(window string, first, last int64, events int) store.Part {
		return store.Part{Window: window, Chunk: true, First: first, Last: last, Events: events, Full: true}
	}
	part := func(p store.Part, full bool) store.Part {
		p.Full = full
		return p
	}
	batch := func(window string, first, last int64, full bool) store.Part {
		return store.Part{Window: window, First: first, Last: last, Events: 5, Full: full}
	}
	first := int64(math.MinInt64)
	for _, tc := range []struct {
		name     string
		parts    []store.Part
		at       int64
		from, to int64
		ok       bool
	}{
		{"one chunk: to past its last event", []store.Part{chunk("w", 100, 900, 50)}, first, 100, 901, true},
		{"to the next chunk's start", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50)}, first, 100, 900, true},
		{"windows one after the other", []store.Part{chunk("a", 100, 900, 50), chunk("b", 1000, 2000, 50)}, first, 100, 1000, true},
		{"two chunks starting together are one segment", []store.Part{chunk("a", 100, 900, 50), chunk("b", 100, 500, 50), chunk("b", 500, 2000, 50)}, first, 100, 500, true},
		// Batches not compacted are one pseudo-chunk until one loads a page.
		{"pending batches", []store.Part{batch("w", 100, 200, true), batch("w", 200, 300, false), batch("w", 300, 400, true)}, first, 100, 300, true},
		{"one event", []store.Part{chunk("w", 100, 100, 1)}, first, 100, 101, false},
		{"nothing", nil, first, 0, 0, false},
		// Opening at a moment: from the last full snapshot before it to
		// the end of the segment that holds it.
		{"a moment in a chunk that starts with a page", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50), chunk("w", 2000, 3000, 50)}, 1500, 900, 2000, true},
		{"a moment at a chunk's start", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50)}, 900, 900, 2001, true},
		{"a moment in a chunk that goes on from the one before", []store.Part{chunk("w", 100, 900, 50), part(chunk("w", 900, 2000, 50), false), chunk("w", 2000, 3000, 50)}, 1500, 100, 2000, true},
		{"a moment before the first event", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50)}, 50, 100, 900, true},
		{"a moment past the last event", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50)}, 5000, 900, 2001, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, ok := OpeningRange(tc.parts, tc.at)
			if ok != tc.ok || ok && (from != tc.from || to != tc.to) {
				t.Errorf("OpeningRange(%d) = %d, %d, %v; want %d, %d, %v", tc.at, from, to, ok, tc.from, tc.to, tc.ok)
			}
		})
	}
}

// The tab a link opens on is the one the visitor was looking at, as the
// player's inView reads it (web/test/follow.test.mjs).
func TestWindowInView(t *testing.T) {
	base := time.UnixMilli(1_795_000_000_000)
	ms := func(d int64) time.Time { return base.Add(time.Duration(d) * time.Millisecond) }
	shown := func(d int64, visible bool) store.Visibility { return store.Visibility{Time: ms(d), Visible: visible} }
	s := store.Session{Windows: []store.Window{
		// Listed in the index's order, not by start.
		{ID: "b", Start: ms(5000), End: ms(20000), Shown: []store.Visibility{shown(8990, false)}},
		{ID: "a", Start: ms(1000), End: ms(30000), Shown: []store.Visibility{shown(4990, false), shown(9000, true)}},
		// Opened in the background, shown later.
		{ID: "c", Start: ms(2000), End: ms(40000), Shown: []store.Visibility{shown(12000, true)}},
	}}
	for _, tc := range []struct {
		at   int64
		want string
	}{
		{math.MinInt64, "a"}, // opened at the start: the first tab
		{500, "a"},           // before any turn
		{3000, "a"},          // c opened in the background
		{5000, "b"},
		{9000, "a"},
		{15000, "c"},
	} {
		at := tc.at
		if at != math.MinInt64 {
			at += base.UnixMilli()
		}
		if got := windowInView(s, at); got != tc.want {
			t.Errorf("at %d: %q, want %q", tc.at, got, tc.want)
		}
	}
	// Times are the index's: the clock offset comes off.
	s.ClockOffset = 10 * time.Second
	if got := windowInView(s, base.UnixMilli()+5000-10000); got != "b" {
		t.Errorf("with a clock offset: %q, want b", got)
	}
}

// TestParseMoment reads the moments the player's own test reads
// (web/test/player.test.mjs), from the same file: the page preloads what
// the player will ask for only if both read a link alike.
func TestParseMoment(t *testing.T) {
	raw, err := os.ReadFile("testdata/moments.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][2]any
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		in := c[0].(string)
		ms, ok := ParseMoment(in)
		want, wantOK := c[1].(float64)
		if ok != wantOK || ok && ms != int64(want) {
			t.Errorf("ParseMoment(%q) = %d, %v; want %v", in, ms, ok, c[1])
		}
	}
}

func FuzzParseMoment(f *testing.F) {
	for _, s := range []string{"90", "12.5", "1m30s", "1h2m3s", "1:02:03", "", "abc", "-5", "1e3", "99999999999999999999", "1:99:99", "0.0000001s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ms, ok := ParseMoment(v)
		if !ok {
			if ms != 0 {
				t.Errorf("ParseMoment(%q) refused it with %d ms", v, ms)
			}
			return
		}
		if ms < 0 || ms > 3_600_000_000_000 {
			t.Errorf("ParseMoment(%q) = %d ms", v, ms)
		}
		// Only digits, points, colons and the units make a moment.
		if rest := strings.Trim(strings.ToLower(strings.TrimSpace(v)), "0123456789.:hms"); rest != "" {
			t.Errorf("ParseMoment(%q) accepted %q", v, rest)
		}
	})
}
