package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode feeds the decoder arbitrary bodies, plain and gzip'd. It must
// never panic, must answer every failure with a 4xx *Error, and whatever it
// accepts must be valid JSON it can read back.
func FuzzDecode(f *testing.F) {
	for _, events := range recorded(f) {
		f.Add(envelope(events), false)
		f.Add(gzipBytes(f, envelope(events)), true)
	}
	if seeds, err := os.ReadDir("testdata/seeds"); err == nil {
		for _, s := range seeds {
			b, err := os.ReadFile("testdata/seeds/" + s.Name())
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, false)
		}
	}
	f.Add([]byte(`{"key":"k","session":"s","window":"w","seq":0,"events":[{"type":4,"data":{"href":"x"},"timestamp":1795000000000}]}`), false)
	// The recordings' times are in the past, so that the seeds are taken
	// whole, whenever they were recorded.
	now := time.Now()
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		encoding := ""
		if gzipped {
			encoding = "gzip"
		}
		env, err := Decode(body, encoding, now, DefaultLimits)
		if err != nil {
			checkRejection(t, err)
			return
		}
		b := env.Batch
		stored := storedEvents(t, b.Events)
		// The processor may be handed Checked instead of what is stored.
		if !bytes.Equal(b.Checked, stored) {
			t.Fatalf("checked events %.100q differ from the stored %.100q", b.Checked, stored)
		}
		var events []json.RawMessage
		if err := json.Unmarshal(stored, &events); err != nil {
			t.Fatalf("accepted events are not a JSON array: %v", err)
		}
		if len(events) != b.Count || b.Count == 0 || b.First > b.Last {
			t.Fatalf("batch shape: %d events, count %d, %d..%d", len(events), b.Count, b.First, b.Last)
		}
		if !validID(b.Session) || !validID(b.Window) || b.Seq < 0 {
			t.Fatalf("accepted bad ids: %q %q %d", b.Session, b.Window, b.Seq)
		}
		if len(env.Key) > DefaultLimits.MaxKey || len(b.Pages) > DefaultLimits.MaxPageViews {
			t.Fatalf("accepted a key of %d bytes, %d page views", len(env.Key), len(b.Pages))
		}
		for _, p := range b.Pages {
			if len(p.URL) > DefaultLimits.MaxURL || !utf8.ValidString(p.URL) {
				t.Fatalf("kept a page view URL of %d bytes: %.100q", len(p.URL), p.URL)
			}
		}
	})
}

func checkRejection(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not an *Error: %v", err)
	}
	if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
		t.Fatalf("rejection %d %q %q", e.Status, e.Code, e.Message)
	}
}
