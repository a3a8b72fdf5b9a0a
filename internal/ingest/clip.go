package ingest

import (
	"strings"
	"unicode/utf8"
)

// ClipMark ends a text that was cut to its limit. It is one character
// (three bytes), unlikely at the end of a real URL or User-Agent.
const ClipMark = "…"

// Clip returns s if it is at most limit bytes; otherwise its longest prefix
// that, followed by ClipMark, fits in limit bytes, cut between characters.
// Invalid UTF-8 is replaced first, so the result is always valid. The
// result is a copy when cut, so that a huge s is not kept alive by it.
func Clip(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= limit {
		return s
	}
	cut := max(limit-len(ClipMark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if limit < len(ClipMark) {
		return ""
	}
	return s[:cut] + ClipMark
}
