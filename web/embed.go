// Package web holds the browser side of Playhead: the recorder script that
// sites embed, the session player and the demo shop. The TypeScript sources
// live under src/; esbuild writes the bundles to build/, which is embedded
// into the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:build
var build embed.FS

// Build holds the bundles made by `npm run build`: playhead.js (the
// recorder), player.js and player.css, and feed.js (the player's worker).
var Build, _ = fs.Sub(build, "build")

//go:embed demo
var demo embed.FS

// Demo holds the demo shop: HTML templates given the recorder snippet,
// and their CSS and script.
var Demo, _ = fs.Sub(demo, "demo")
