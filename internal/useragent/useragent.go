// Package useragent names the browser, operating system and kind of device
// behind a User-Agent header, well enough to list and filter sessions. The
// reading is github.com/medama-io/go-useragent's, a maintained trie of
// browser tokens; this package turns it into the names Playhead shows.
package useragent

import (
	"strings"
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// Agent is what a User-Agent string tells.
type Agent struct {
	Browser string // "Chrome 120", "Safari 17", "Firefox 121"; "" when unknown
	OS      string // "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS", …
	Device  string // "desktop", "mobile", "tablet", "tv" or "bot"; "" when unknown
}

// maxMajor bounds a browser's major version: a longer one is junk.
const maxMajor = 6

// The parser builds its trie once, on first use.
var parser = sync.OnceValue(useragent.NewParser)

// osNames are the operating systems as people write them.
var osNames = map[agents.OS]string{agents.OSMacOS: "macOS"}

// Parse reads a User-Agent header.
func Parse(ua string) Agent {
	if ua == "" {
		return Agent{}
	}
	p := parser().Parse(ua)
	a := Agent{
		Browser: string(p.Browser()),
		OS:      string(p.OS()),
		Device:  strings.ToLower(string(p.Device())),
	}
	if name, ok := osNames[p.OS()]; ok {
		a.OS = name
	}
	if v := p.BrowserVersionMajor(); a.Browser != "" && v != "" && len(v) <= maxMajor && strings.Trim(v, "0123456789") == "" {
		a.Browser += " " + v
	}
	// Headless browsers are programs, whatever they claim to be.
	if strings.Contains(ua, "HeadlessChrome") || strings.Contains(strings.ToLower(ua), "bot") {
		a.Device = "bot"
	}
	return a
}
