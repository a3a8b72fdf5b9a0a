package api

import (
	"testing"
)

// A cursor from a client is read without panicking, and one that is read
// encodes back to a cursor that reads the same.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(liveCursor{"w_1": {Seq: 57, TS: 1795000254110}, "w_2": {}}.encode())
	f.Add("")
	f.Add("e30")
	f.Add("%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		again, err := decodeCursor(c.encode())
		if err != nil || len(again) != len(c) {
			t.Fatalf("%q: read back %v, %v", s, again, err)
		}
		for w, wc := range c {
			if again[w] != wc {
				t.Fatalf("%q: window %q read back %v, want %v", s, w, again[w], wc)
			}
		}
	})
}
