package api

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// What the player (web/src/player) asks for first when it opens a session,
// told here so that a page can ask for it before the player's script has
// loaded: one round trip less before the first frame.

// PartLister lists the parts of a session's recording (compacted chunks and
// batches not compacted yet) within a time range.
type PartLister interface {
	Parts(ctx context.Context, project int64, session, window string, from, to int64) ([]store.Part, error)
}

// OpeningEvents is the address of the events the player asks for first
// when it opens session s at moment ms from its start (0: its first
// frame), under the session's API address base, as the player writes it
// (web/src/player/api.ts). A session whose tabs were open side by side is
// replayed a tab at a time: the one the visitor was looking at at the
// moment. It is "" when a page cannot tell: a session in progress (its
// chunks change as it comes).
func OpeningEvents(ctx context.Context, parts PartLister, s store.Session, ms int64, base string) string {
	if time.Since(s.End) < liveWithin {
		return ""
	}
	at := int64(math.MinInt64)
	if ms > 0 {
		// The recording's time of the moment, as the player reckons it.
		at = s.Start.UnixMilli() - s.ClockOffset.Milliseconds() + ms
	}
	window := ""
	if windowsOverlap(s.Windows) {
		window = windowInView(s, at)
	}
	list, err := parts.Parts(ctx, s.Project, s.ID, window, math.MinInt64, math.MaxInt64)
	if err != nil {
		return ""
	}
	from, to, ok := OpeningRange(list, at)
	if !ok {
		return ""
	}
	query := fmt.Sprintf("from=%d&to=%d", from, to)
	if window != "" {
		query = "window=" + url.QueryEscape(window) + "&" + query
	}
	return base + "/events?" + query
}

// windowInView is the tab of s the player shows at recording time at
// (math.MinInt64: on opening at the start) when its tabs were open side by
// side (web/src/player/follow.ts): the last the visitor turned to at or
// before at, else the first to start. A tab is turned to at its start,
// unless its first visibility change shows it, and whenever it is shown.
func windowInView(s store.Session, at int64) string {
	type turn struct {
		at     int64
		window string
	}
	var (
		turns []turn
		first store.Window
	)
	offset := s.ClockOffset.Milliseconds()
	for i, w := range s.Windows {
		if i == 0 || w.Start.Before(first.Start) {
			first = w
		}
		if len(w.Shown) == 0 || !w.Shown[0].Visible {
			turns = append(turns, turn{w.Start.UnixMilli() - offset, w.ID})
		}
		for _, v := range w.Shown {
			if v.Visible {
				turns = append(turns, turn{v.Time.UnixMilli() - offset, w.ID})
			}
		}
	}
	if at == math.MinInt64 {
		return first.ID
	}
	slices.SortStableFunc(turns, func(a, b turn) int { return cmp.Compare(a.at, b.at) })
	window := first.ID
	for _, t := range turns {
		if t.at <= at {
			window = t.window
		}
	}
	return window
}

// liveWithin is how recent a session's last event is while the player
// follows it live (web/src/player/live.ts).
const liveWithin = 5 * time.Minute

// windowsOverlap tells whether tabs of the session were open at the same
// time, which the player replays one at a time (web/src/player/windows.ts).
func windowsOverlap(windows []store.Window) bool {
	sorted := slices.SortedFunc(slices.Values(windows), func(a, b store.Window) int { return a.Start.Compare(b.Start) })
	var end time.Time
	for _, w := range sorted {
		if w.Start.Before(end) {
			return true
		}
		if w.End.After(end) {
			end = w.End
		}
	}
	return false
}

// OpeningRange is the time range (from ≤ t < to) of the events the player
// asks for first to show recording time at (math.MinInt64: the first
// frame): from the start of the segment that begins with the last full
// snapshot before at to the end of the one that holds it. It is false
// when there are fewer than two events to replay.
func OpeningRange(parts []store.Part, at int64) (from, to int64, ok bool) {
	index := chunkIndex(parts)
	events := 0
	for _, c := range index {
		events += c.Events
	}
	segs := segments(index)
	if events < 2 || len(segs) == 0 {
		return 0, 0, false
	}
	k := 0
	for k+1 < len(segs) && segs[k+1].from <= at {
		k++
	}
	first := k
	for first > 0 && !segs[first].full {
		first--
	}
	return segs[first].from, segs[k].to, true
}

// A segment is what one request of the player fetches: a chunk's events,
// cut by time so that segments follow one another (segments.ts).
type segment struct {
	from, to int64
	full     bool
}

// segments orders the chunk index by time into segments, as the player's
// segments does.
func segments(index []chunkJSON) []segment {
	sorted := slices.Clone(index)
	slices.SortStableFunc(sorted, func(a, b chunkJSON) int { return cmp.Compare(a.StartMS, b.StartMS) })
	var out []segment
	end := int64(math.MinInt64)
	for _, c := range sorted {
		end = max(end, c.EndMS+1)
	}
	for _, c := range sorted {
		n := len(out) - 1
		if n >= 0 && out[n].from == c.StartMS {
			out[n].full = out[n].full || c.Full
			continue
		}
		if n >= 0 {
			out[n].to = c.StartMS
		}
		out = append(out, segment{from: c.StartMS, to: end, full: c.Full})
	}
	return out
}

// Forms of a moment in a link (?t=), as the player reads them
// (web/src/player/format.ts): seconds, h:mm:ss or m:ss, or 1h2m3s.
var (
	momentSeconds = regexp.MustCompile(`^\d+(\.\d+)?$`)
	momentClock   = regexp.MustCompile(`^(?:(\d+):)?(\d+):(\d{2})$`)
	momentUnits   = regexp.MustCompile(`^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$`)
)

// ParseMoment reads a link's moment into ms, as the player does; it is
// false for what the player would not read.
func ParseMoment(v string) (ms int64, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	num := func(s string) float64 {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	var seconds float64
	switch {
	case v == "":
		return 0, false
	case momentSeconds.MatchString(v):
		seconds = num(v)
	case momentClock.MatchString(v):
		m := momentClock.FindStringSubmatch(v)
		seconds = (num(m[1])*60+num(m[2]))*60 + num(m[3])
	case momentUnits.MatchString(v):
		m := momentUnits.FindStringSubmatch(v)
		if m[1] == "" && m[2] == "" && m[3] == "" {
			return 0, false
		}
		seconds = (num(m[1])*60+num(m[2]))*60 + num(m[3])
	default:
		return 0, false
	}
	// Past a million hours no session goes; the player would show its end.
	if seconds > 3.6e9 {
		return 0, false
	}
	return int64(math.Round(seconds * 1000)), true
}
