// Package signals finds what is worth watching in a recording: it folds a
// window's rrweb events, in order, into the window's facts (pages, active
// time, counts, identity) and its signals (rage clicks, dead clicks, errors,
// …). Each detector is one file behind one small interface; docs/signals.md
// defines each signal, and Config holds every threshold with its source.
//
// The fold is deterministic: the same events give the same analysis, so a
// window can be analysed as its batches arrive or again from the start.
package signals

import "time"

// Config holds the thresholds of the detectors. A project may change them;
// DefaultConfig says where each default comes from.
type Config struct {
	RageClicks   int           // clicks in a burst
	RageInterval time.Duration // at most this between two clicks of a burst
	RageRadius   float64       // CSS pixels from the burst's first click

	DeadClickWait  time.Duration // no response within this after a click
	ErrorClickWait time.Duration // a JS error within this after a click

	SlowRequest time.Duration
	SlowLCP     time.Duration
	SlowINP     time.Duration

	ThrashReversals int           // horizontal direction reversals …
	ThrashWindow    time.Duration // … within this …
	ThrashSpeed     float64       // … of moves faster than this, px/s
	ThrashDistance  float64       // each stroke at least this long, px

	ScrollReversals int           // scroll direction reversals …
	ScrollWindow    time.Duration // … within this …
	ScrollScreens   float64       // … with this many viewport heights scrolled

	QuickBack time.Duration // back on the previous page within this

	SlowForm time.Duration // first input to submit

	Idle           time.Duration // a gap without input longer than this is idle
	LongInactivity time.Duration // a gap this long is a signal
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
