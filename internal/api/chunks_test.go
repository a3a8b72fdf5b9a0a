package api

import (
	"testing"

	"github.com/playhead/playhead/internal/store"
)

func TestFirstRange(t *testing.T) {
	chunk := func(window string, first, last int64, events int) store.Part {
		return store.Part{Window: window, Chunk: true, First: first, Last: last, Events: events, Full: true}
	}
	batch := func(window string, first, last int64, full bool) store.Part {
		return store.Part{Window: window, First: first, Last: last, Events: 5, Full: full}
	}
	for _, tc := range []struct {
		name     string
		parts    []store.Part
		from, to int64
		ok       bool
	}{
		{"one chunk: to past its last event", []store.Part{chunk("w", 100, 900, 50)}, 100, 901, true},
		{"to the next chunk's start", []store.Part{chunk("w", 100, 900, 50), chunk("w", 900, 2000, 50)}, 100, 900, true},
		{"windows one after the other", []store.Part{chunk("a", 100, 900, 50), chunk("b", 1000, 2000, 50)}, 100, 1000, true},
		{"two chunks starting together are one segment", []store.Part{chunk("a", 100, 900, 50), chunk("b", 100, 500, 50), chunk("b", 500, 2000, 50)}, 100, 500, true},
		// Batches not compacted are one pseudo-chunk until one loads a page.
		{"pending batches", []store.Part{batch("w", 100, 200, true), batch("w", 200, 300, false), batch("w", 300, 400, true)}, 100, 300, true},
		{"one event", []store.Part{chunk("w", 100, 100, 1)}, 100, 101, false},
		{"nothing", nil, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, ok := FirstRange(tc.parts)
			if ok != tc.ok || ok && (from != tc.from || to != tc.to) {
				t.Errorf("FirstRange = %d, %d, %v; want %d, %d, %v", from, to, ok, tc.from, tc.to, tc.ok)
			}
		})
	}
}
