package store

import (
	"net/url"
	"strings"
)

// A session's path is the way it took through a site: its first
// PathSteps pages in time order, each named by its URL's path with the
// segments that look like ids made ":id", a page repeated in a row
// counted once. A path that few of a project's sessions take is worth a
// look: a visitor who got somewhere unusual, or went around in circles.
const (
	PathSteps = 5
	// A path is rare when fewer than RarePathShare of the project's
	// sessions took it, once the project has RarePathMin sessions: below
	// that, every path is rare.
	RarePathShare = 0.01
	RarePathMin   = 200
)

// ReasonRarePath is the score reason for a rare path.
const ReasonRarePath = "rare_path"

// PathKey names the path of a session whose page URLs, in time order, are
// urls; "" for no page.
func PathKey(urls []string) string {
	var steps []string
	for _, u := range urls {
		step := pathStep(u)
		if len(steps) > 0 && steps[len(steps)-1] == step {
			continue
		}
		steps = append(steps, step)
		if len(steps) == PathSteps {
			break
		}
	}
	return strings.Join(steps, " > ")
}

// pathStep is a page's URL path with id-like segments made ":id".
func pathStep(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil {
		p = u.Path
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if looksLikeID(s) {
			segs[i] = ":id"
		}
	}
	if p = strings.Join(segs, "/"); p == "" {
		p = "/"
	}
	return p
}

// looksLikeID tells a segment that names one thing among many: a number,
// or a long run of hex digits and dashes (hashes, UUIDs).
func looksLikeID(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := 0, 0
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			digits++
			hex++
		case 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '-':
			hex++
		default:
			return false
		}
	}
	return digits == len(s) || (hex == len(s) && len(s) >= 16 && digits > 0)
}

// IsRarePath tells whether a path that sessions of a project's total took
// is rare.
func IsRarePath(sessions, total int) bool {
	return total >= RarePathMin && float64(sessions) < RarePathShare*float64(total)
}
