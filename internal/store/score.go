package store

import (
	"math"
	"strings"
)

// ScoreWeights are the points each occurrence of a reason adds to a
// session's score. At most ScoreCap occurrences of one reason count, so
// that one broken page does not drown every other reason.
var ScoreWeights = map[string]float64{
	SignalRageClick:       3,
	SignalErrorClick:      3,
	SignalDeadClick:       1.5,
	SignalThrashingCursor: 1,
	SignalQuickBack:       1,
	SignalExcessiveScroll: 0.5,
	SignalFormAbandon:     2,
	SignalSlowForm:        0.5,
	SignalSlowPage:        0.5,
	SignalSlowRequest:     0.25,
	SignalJSError:         1, // counted from the windows' error totals
	SignalFailedRequest:   1, // counted from the windows' failed-request totals
	ReasonMissedGoal:      4,
	ReasonRarePath:        1,
}

// ScoreCap is the most occurrences of one reason that score.
const ScoreCap = 5

// ReasonMissedGoal is the score reason for a goal the visitor showed
// intent for and did not reach.
const ReasonMissedGoal = "missed_goal"

// ScoreInput is what a session's score is made of.
type ScoreInput struct {
	Signals        map[string]int // signals by kind
	Errors         int
	FailedRequests int
	MissedGoals    int
	RarePath       bool // see IsRarePath
}

// ComputeScore scores a session: docs/signals.md, "Score".
func ComputeScore(in ScoreInput) Score {
	s := Score{Parts: []ScorePart{}}
	add := func(reason string, n int) {
		if n <= 0 {
			return
		}
		pts := ScoreWeights[reason] * float64(min(n, ScoreCap))
		if pts == 0 {
			return
		}
		s.Parts = append(s.Parts, ScorePart{Reason: reason, Count: n, Points: pts})
		s.Total += pts
	}
	for _, k := range SignalKinds {
		switch k {
		case SignalJSError:
			add(k, in.Errors)
		case SignalFailedRequest:
			add(k, in.FailedRequests)
		default:
			add(k, in.Signals[k])
		}
	}
	add(ReasonMissedGoal, in.MissedGoals)
	if in.RarePath {
		add(ReasonRarePath, 1)
	}
	s.Total = math.Round(s.Total*100) / 100
	return s
}

// IsGlob tells whether a URL pattern is a glob (it has * or ?) rather
// than a substring.
func IsGlob(pattern string) bool { return strings.ContainsAny(pattern, "*?") }

// MatchGlob matches s against a glob in which * is any run of characters
// (slashes too) and ? any one character; every other character stands
// for itself. The whole of s must match.
func MatchGlob(glob, s string) bool {
	// Iterative matching with one star to backtrack to: linear enough for
	// URLs, and never exponential.
	g, t := []rune(glob), []rune(s)
	gi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case gi < len(g) && (g[gi] == '?' || g[gi] == t[ti]):
			gi++
			ti++
		case gi < len(g) && g[gi] == '*':
			star, mark = gi, ti
			gi++
		case star >= 0:
			gi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for gi < len(g) && g[gi] == '*' {
		gi++
	}
	return gi == len(g)
}

// MatchURL matches a page URL against a URL pattern (see SessionFilter).
func MatchURL(pattern, u string) bool {
	if IsGlob(pattern) {
		return MatchGlob(pattern, u)
	}
	return strings.Contains(asciiLower(u), asciiLower(pattern))
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IntentGlob is the glob of pages that show intent for a goal: its own
// Intent, or for a URL goal without one, the goal's URL with its last path
// segment made a wildcard (a goal */checkout/done has the intent
// */checkout/*), provided what is left names a path; "" when none.
func IntentGlob(g Goal) string {
	if g.Intent != "" || g.URL == "" {
		return g.Intent
	}
	i := strings.LastIndexByte(strings.TrimRight(g.URL, "*/"), '/')
	if i < 0 {
		return ""
	}
	dir := g.URL[:i+1]
	// What is left must hold a literal path segment, not just a host or
	// wildcards: "*/" would be every page.
	rest := dir
	if j := strings.Index(rest, "://"); j >= 0 {
		rest = rest[j+3:]
		if k := strings.IndexByte(rest, '/'); k >= 0 {
			rest = rest[k:]
		} else {
			return ""
		}
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg != "" && !strings.ContainsAny(seg, "*?") {
			return dir + "*"
		}
	}
	return ""
}

// GoalReached tells whether a session with these page URLs and custom
// event names reached a goal.
func GoalReached(g Goal, urls, events []string) bool {
	if g.Event != "" {
		for _, e := range events {
			if e == g.Event {
				return true
			}
		}
		return false
	}
	for _, u := range urls {
		if MatchGlob(g.URL, u) {
			return true
		}
	}
	return false
}

// MissedGoals counts the goals a session showed intent for (a page
// matching IntentGlob) and did not reach.
func MissedGoals(goals []Goal, urls, events []string) int {
	n := 0
	for _, g := range goals {
		intent := IntentGlob(g)
		if intent == "" || GoalReached(g, urls, events) {
			continue
		}
		for _, u := range urls {
			if MatchGlob(intent, u) {
				n++
				break
			}
		}
	}
	return n
}
