// Package useragent names the browser, operating system and kind of device
// behind a User-Agent header, well enough to list and filter sessions.
package useragent

import (
	"strings"
)

// Agent is what a User-Agent string tells.
type Agent struct {
	Browser string // "Chrome 120", "Safari 17", "Firefox 121"; "" when unknown
	OS      string // "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"
	Device  string // "desktop", "mobile", "tablet" or "bot"
}

// browsers is checked in order: many browsers claim to be Chrome and
// Safari as well, so the specific tokens come first.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"},
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"OPR/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"},
	{"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"HeadlessChrome/", "Headless Chrome"},
	{"Chrome/", "Chrome"},
	{"Version/", "Safari"}, // Safari puts its version after Version/
}

// Parse reads a User-Agent header.
func Parse(ua string) Agent {
	var a Agent
	for _, b := range browsers {
		if i := strings.Index(ua, b.token); i >= 0 {
			a.Browser = b.name
			if v := major(ua[i+len(b.token):]); v != "" {
				a.Browser += " " + v
			}
			break
		}
	}
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPod"):
		a.OS, a.Device = "iOS", "mobile"
	case strings.Contains(ua, "iPad"):
		a.OS, a.Device = "iOS", "tablet"
	case strings.Contains(ua, "Android"):
		a.OS, a.Device = "Android", "tablet"
		if strings.Contains(ua, "Mobile") {
			a.Device = "mobile"
		}
	case strings.Contains(ua, "Windows"):
		a.OS, a.Device = "Windows", "desktop"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		a.OS, a.Device = "macOS", "desktop"
	case strings.Contains(ua, "CrOS"):
		a.OS, a.Device = "ChromeOS", "desktop"
	case strings.Contains(ua, "Linux"):
		a.OS, a.Device = "Linux", "desktop"
	}
	lower := strings.ToLower(ua)
	for _, bot := range []string{"bot", "crawler", "spider", "headless"} {
		if strings.Contains(lower, bot) {
			a.Device = "bot"
		}
	}
	return a
}

// maxMajor bounds the digits of a major version kept, so that a forged
// User-Agent cannot make the browser's name long.
const maxMajor = 6

// major returns the leading digits of a version: "120.0.1" → "120".
func major(v string) string {
	n := 0
	for n < len(v) && n < maxMajor && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	return v[:n]
}
