// Package signals finds what is worth watching in a recording: it folds a
// window's rrweb events, in order, into the window's facts (pages, active
// time, counts, identity) and its signals (rage clicks, dead clicks, errors,
// …). Each detector is one file behind one small interface; docs/signals.md
// defines each signal, and Config holds every threshold with its source.
//
// The fold is deterministic: the same events give the same analysis, so a
// window can be analysed as its batches arrive or again from the start.
package signals

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the thresholds of the detectors. A project may change them;
// DefaultConfig says where each default comes from.
type Config struct {
	RageClicks   int           `json:"rage_clicks,omitempty"`   // clicks in a burst
	RageInterval time.Duration `json:"rage_interval,omitempty"` // at most this between two clicks of a burst
	RageRadius   float64       `json:"rage_radius,omitempty"`   // CSS pixels from the burst's first click

	DeadClickWait  time.Duration `json:"dead_click_wait,omitempty"`  // no response within this after a click
	ErrorClickWait time.Duration `json:"error_click_wait,omitempty"` // a JS error within this after a click

	SlowRequest time.Duration `json:"slow_request,omitempty"`
	SlowLCP     time.Duration `json:"slow_lcp,omitempty"`
	SlowINP     time.Duration `json:"slow_inp,omitempty"`

	ThrashReversals int           `json:"thrash_reversals,omitempty"` // direction reversals, along either axis, …
	ThrashWindow    time.Duration `json:"thrash_window,omitempty"`    // … within this …
	ThrashSpeed     float64       `json:"thrash_speed,omitempty"`     // … of moves faster than this, px/s
	ThrashDistance  float64       `json:"thrash_distance,omitempty"`  // each stroke at least this long, px

	ScrollReversals int           `json:"scroll_reversals,omitempty"` // scroll direction reversals …
	ScrollWindow    time.Duration `json:"scroll_window,omitempty"`    // … within this …
	ScrollScreens   float64       `json:"scroll_screens,omitempty"`   // … with this many viewport heights scrolled

	QuickBack time.Duration `json:"quick_back,omitempty"` // back on the previous page within this

	SlowForm time.Duration `json:"slow_form,omitempty"` // first input to submit

	Idle           time.Duration `json:"idle,omitempty"`            // a gap without input longer than this is idle
	LongInactivity time.Duration `json:"long_inactivity,omitempty"` // a gap this long is a signal
}

// DefaultConfig is what every project starts with.
var DefaultConfig = Config{
	// Rage clicks: 3 clicks, each within 1 s of the last, within 30 px —
	// the definition FullStory and Microsoft Clarity document.
	RageClicks:   3,
	RageInterval: time.Second,
	RageRadius:   30,
	// Dead clicks: FullStory waits for a response; 2.5 s is past the
	// 1 s in which people expect one (Nielsen's response-time limits),
	// with room for a slow handler.
	DeadClickWait:  2500 * time.Millisecond,
	ErrorClickWait: time.Second,
	// Slow requests: 3 s, where users abandon (Google's mobile speed
	// research: 53 % leave a page that takes over 3 s).
	SlowRequest: 3 * time.Second,
	// Google's Core Web Vitals thresholds for "poor".
	SlowLCP: 4 * time.Second,
	SlowINP: 500 * time.Millisecond,
	// Thrashing cursor: shaking the mouse is a 3–5 Hz back-and-forth;
	// 3 full cycles (6 reversals) within 2 s of strokes over 40 px at
	// 500 px/s and more is well beyond aiming or reading, where the
	// cursor reverses at most once or twice a second at lower speed.
	ThrashReversals: 6,
	ThrashWindow:    2 * time.Second,
	ThrashSpeed:     500,
	ThrashDistance:  40,
	// Excessive scrolling: 4 reversals within 10 s over 5 screens, as
	// someone hunting up and down a page for something they cannot find.
	ScrollReversals: 4,
	ScrollWindow:    10 * time.Second,
	ScrollScreens:   5,
	// U-turns: back on the previous page within 10 s.
	QuickBack: 10 * time.Second,
	SlowForm:  2 * time.Minute,
	// Active time: gaps under 5 s between inputs count as active, longer
	// ones are idle; a gap of 30 s is long inactivity, which the player
	// skips.
	Idle:           5 * time.Second,
	LongInactivity: 30 * time.Second,
}

// SettingName is the server setting that holds a project's thresholds, as
// the JSON of a Config; those it leaves out keep their defaults.
func SettingName(project int64) string { return fmt.Sprintf("project/%d/signals", project) }

// Check reports a threshold that cannot work: every one must be above 0.
func (c Config) Check() error {
	for _, v := range []struct {
		name string
		ok   bool
	}{
		{"rage_clicks", c.RageClicks >= 2}, {"rage_interval", c.RageInterval > 0}, {"rage_radius", c.RageRadius > 0},
		{"dead_click_wait", c.DeadClickWait > 0}, {"error_click_wait", c.ErrorClickWait > 0},
		{"slow_request", c.SlowRequest > 0}, {"slow_lcp", c.SlowLCP > 0}, {"slow_inp", c.SlowINP > 0},
		{"thrash_reversals", c.ThrashReversals > 0}, {"thrash_window", c.ThrashWindow > 0},
		{"thrash_speed", c.ThrashSpeed > 0}, {"thrash_distance", c.ThrashDistance > 0},
		{"scroll_reversals", c.ScrollReversals > 0}, {"scroll_window", c.ScrollWindow > 0}, {"scroll_screens", c.ScrollScreens > 0},
		{"quick_back", c.QuickBack > 0}, {"slow_form", c.SlowForm > 0}, {"idle", c.Idle > 0}, {"long_inactivity", c.LongInactivity > 0},
	} {
		if !v.ok {
			return fmt.Errorf("%s: %w", v.name, errThreshold)
		}
	}
	return nil
}

var errThreshold = errors.New("out of range (rage_clicks at least 2, every other threshold above 0)")
