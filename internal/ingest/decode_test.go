package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/recordings"
)

var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const ts = "1795000000000" // 2026-11-19, a plausible client time

func TestDecode(t *testing.T) {
	meta := `{"type":4,"data":{"href":"https://shop.example/","width":1280,"height":720},"timestamp":` + ts + `}`
	full := `{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":` + ts + `}`
	env := func(events string) string {
		return `{"key":"k","session":"s1","window":"w1","seq":0,"events":[` + events + `]}`
	}
	tests := []struct {
		name   string
		body   string
		status int    // 0: valid
		code   string // error code expected
	}{
		{"meta and snapshot", env(meta + "," + full), 0, ""},
		{"float timestamp without fraction", env(`{"type":3,"data":{"source":1},"timestamp":1795000000000.0}`), 0, ""},
		{"unknown top-level field ignored", `{"key":"k","session":"s","window":"w","seq":3,"events":[` + full + `],"sdk":"x"}`, 0, ""},
		{"not JSON", `hello`, 400, "invalid_json"},
		{"truncated", env(meta)[:40], 400, "invalid_json"},
		{"array body", `[1,2]`, 400, "invalid_type"},
		{"trailing data", env(meta) + `{}`, 400, "invalid_json"},
		{"no key", `{"session":"s","window":"w","seq":0,"events":[` + meta + `]}`, 400, "missing_key"},
		{"empty key", `{"key":"","session":"s","window":"w","seq":0,"events":[` + meta + `]}`, 400, "missing_key"},
		{"key not a string", `{"key":5,"session":"s","window":"w","seq":0,"events":[` + meta + `]}`, 400, "invalid_type"},
		{"no session", `{"key":"k","window":"w","seq":0,"events":[` + meta + `]}`, 400, "missing_session"},
		{"session with slash", `{"key":"k","session":"a/b","window":"w","seq":0,"events":[` + meta + `]}`, 400, "invalid_session"},
		{"session too long", `{"key":"k","session":"` + strings.Repeat("a", 65) + `","window":"w","seq":0,"events":[` + meta + `]}`, 400, "invalid_session"},
		{"window empty", `{"key":"k","session":"s","window":"","seq":0,"events":[` + meta + `]}`, 400, "invalid_window"},
		{"no seq", `{"key":"k","session":"s","window":"w","events":[` + meta + `]}`, 400, "missing_seq"},
		{"negative seq", `{"key":"k","session":"s","window":"w","seq":-1,"events":[` + meta + `]}`, 400, "invalid_seq"},
		{"fractional seq", `{"key":"k","session":"s","window":"w","seq":1.5,"events":[` + meta + `]}`, 400, "invalid_seq"},
		{"seq as text", `{"key":"k","session":"s","window":"w","seq":"1","events":[` + meta + `]}`, 400, "invalid_seq"},
		{"seq null", `{"key":"k","session":"s","window":"w","seq":null,"events":[` + meta + `]}`, 400, "invalid_seq"},
		{"timestamp as text", env(`{"type":3,"data":{},"timestamp":"` + ts + `"}`), 400, "invalid_event"},
		{"no events", `{"key":"k","session":"s","window":"w","seq":0}`, 400, "missing_events"},
		{"empty events", env(``), 400, "no_events"},
		{"events not array", `{"key":"k","session":"s","window":"w","seq":0,"events":{}}`, 400, "invalid_type"},
		{"event not object", env(`1`), 400, "invalid_type"},
		{"event without type", env(`{"data":{},"timestamp":` + ts + `}`), 400, "invalid_event"},
		{"event type out of range", env(`{"type":9,"data":{},"timestamp":` + ts + `}`), 400, "invalid_event"},
		{"event without timestamp", env(`{"type":3,"data":{}}`), 400, "invalid_event"},
		{"timestamp zero", env(`{"type":3,"data":{},"timestamp":0}`), 400, "invalid_timestamp"},
		{"timestamp in seconds", env(`{"type":3,"data":{},"timestamp":1795000000}`), 400, "invalid_timestamp"},
		{"timestamp far future", env(`{"type":3,"data":{},"timestamp":4102444800000}`), 400, "invalid_timestamp"},
		{"event without data", env(`{"type":3,"timestamp":` + ts + `}`), 400, "invalid_event"},
		{"data not object", env(`{"type":3,"data":[],"timestamp":` + ts + `}`), 400, "invalid_event"},
		{"meta href not string", env(`{"type":4,"data":{"href":1},"timestamp":` + ts + `}`), 400, "invalid_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Decode([]byte(tt.body), "", testNow, DefaultLimits)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if events := storedEvents(t, env.Batch.Events); !json.Valid(events) {
					t.Fatalf("events are not valid JSON: %s", events)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %v, want an *Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("Decode = %d %s (%s), want %d %s", e.Status, e.Code, e.Message, tt.status, tt.code)
			}
			if e.Message == "" {
				t.Error("error has no message")
			}
		})
	}
}

func TestDecodeKeepsEventsAndReadsPages(t *testing.T) {
	events := `[{"type":4,"data":{"href":"https://shop.example/a","width":390,"height":844},"timestamp":1795000000000},` +
		`{"type":3, "data":{"source":1,"positions":[]}, "timestamp":1795000000500},` +
		`{"type":4,"data":{"href":"https://shop.example/b","width":390,"height":844},"timestamp":1795000000900}]`
	body := `{"key":"k","session":"s","window":"w","seq":7,"events":` + events + `}`
	env, err := Decode([]byte(body), "", testNow, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	b := env.Batch
	if b.Seq != 7 || b.Count != 3 || b.First != 1795000000000 || b.Last != 1795000000900 {
		t.Errorf("batch = seq %d, %d events, %d..%d", b.Seq, b.Count, b.First, b.Last)
	}
	if got := storedEvents(t, b.Events); string(got) != events {
		t.Errorf("events changed:\n got %s\nwant %s", got, events)
	}
	if string(b.Checked) != events {
		t.Errorf("checked events = %s, want %s", b.Checked, events)
	}
	if len(b.Pages) != 2 || b.Pages[1].URL != "https://shop.example/b" || b.Pages[0].Width != 390 {
		t.Errorf("pages = %+v", b.Pages)
	}
}

func TestDecodeKeepsGzippedBodies(t *testing.T) {
	events := `[ {"type":4,"data":{"href":"https://shop.example/"},"timestamp":1795000000000} ]`
	body := []byte(`{"key":"k","session":"s","window":"w","seq":0,"events":` + events + `}`)
	env, err := Decode(gzipBytes(t, body), "gzip", testNow, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got := storedEvents(t, env.Batch.Events); string(got) != events {
		t.Errorf("events read back as %s, want %s", got, events)
	}
	if string(env.Batch.Checked) != events {
		t.Errorf("checked events = %s, want %s", env.Batch.Checked, events)
	}
	if env.JSONSize != len(body) || len(env.Batch.Pages) != 1 {
		t.Errorf("JSON size %d, pages %+v", env.JSONSize, env.Batch.Pages)
	}
}

func TestDecodeLimits(t *testing.T) {
	lim := DefaultLimits
	lim.MaxEvents, lim.MaxPageViews, lim.MaxKey = 3, 2, 10
	ev := `{"type":3,"data":{},"timestamp":` + ts + `}`
	meta := `{"type":4,"data":{"href":"https://shop.example/"},"timestamp":` + ts + `}`
	env := func(key string, events ...string) string {
		return `{"key":"` + key + `","session":"s","window":"w","seq":0,"events":[` + strings.Join(events, ",") + `]}`
	}
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"events at the limit", env("k", ev, ev, ev), 0, ""},
		{"events over the limit", env("k", ev, ev, ev, ev), 413, "too_many_events"},
		{"page views at the limit", env("k", meta, meta, ev), 0, ""},
		{"page views over the limit", env("k", meta, meta, meta), 413, "too_many_page_views"},
		{"key at the limit", env(strings.Repeat("k", 10), ev), 0, ""},
		{"key over the limit", env(strings.Repeat("k", 11), ev), 400, "invalid_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body), "", testNow, lim)
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status || e.Code != tt.code {
				t.Fatalf("Decode = %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
}

func TestDecodeClipsURLs(t *testing.T) {
	lim := DefaultLimits
	lim.MaxURL = 32
	long := "https://shop.example/" + strings.Repeat("é", 100)
	body := `{"key":"k","session":"s","window":"w","seq":0,"events":[` +
		`{"type":4,"data":{"href":"` + long + `","width":800},"timestamp":` + ts + `},` +
		`{"type":4,"data":{"href":"https://shop.example/"},"timestamp":` + ts + `}]}`
	env, err := Decode([]byte(body), "", testNow, lim)
	if err != nil {
		t.Fatal(err)
	}
	pages := env.Batch.Pages
	// 21 bytes of ASCII and four 2-byte é fit in 32 with the 3-byte mark.
	if want := "https://shop.example/éééé…"; len(pages) != 2 || pages[0].URL != want || pages[0].Width != 800 {
		t.Fatalf("pages %+v, want the first URL cut to %q", pages, want)
	}
	if pages[1].URL != "https://shop.example/" {
		t.Errorf("a short URL changed: %q", pages[1].URL)
	}
	if got := string(storedEvents(t, env.Batch.Events)); !strings.Contains(got, long) {
		t.Error("the stored Meta event lost its full href")
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"ab€€€€", 10, "ab€…"},     // € is 3 bytes: no half character
		{"€€€€", 5, "…"},           // no whole character fits before the mark
		{"abcdef", 2, ""},          // no room even for the mark
		{"a\xffb", 10, "a\uFFFDb"}, // invalid UTF-8 is replaced
		{"", 0, ""},
	}
	for _, tt := range tests {
		got := Clip(tt.in, tt.limit)
		if got != tt.want || len(got) > tt.limit || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func storedEvents(t testing.TB, blob []byte) []byte {
	t.Helper()
	b, err := batch.Decompress(blob)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecompress(t *testing.T) {
	lim := DefaultLimits
	lim.MaxDecoded = 10_000
	bomb := gzipBytes(t, bytes.Repeat([]byte{' '}, 1<<20)) // 1 MiB of spaces in ~1 KB
	good := gzipBytes(t, []byte(`{"a":1}`))
	tests := []struct {
		name     string
		body     []byte
		encoding string
		status   int
		code     string
	}{
		{"plain", []byte(`{}`), "", 0, ""},
		{"identity", []byte(`{}`), "identity", 0, ""},
		{"gzip", good, "gzip", 0, ""},
		{"too large", bytes.Repeat([]byte{'x'}, int(lim.MaxDecoded)+1), "", 413, "body_too_large"},
		{"gzip bomb", bomb, "gzip", 413, "body_too_large"},
		{"says gzip, is not", []byte(`{"a":1}`), "gzip", 400, "bad_gzip"},
		{"truncated gzip", good[:len(good)-6], "gzip", 400, "bad_gzip"},
		{"brotli", []byte(`{}`), "br", 415, "unsupported_encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decompress(tt.body, tt.encoding, lim, new(bytes.Buffer))
			if tt.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status || e.Code != tt.code {
				t.Fatalf("Decompress = %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
}

// recorded returns the windows of the real recordings (package
// recordings) as event arrays of one batch each, by recording/window.
func recorded(t testing.TB) map[string][]byte {
	t.Helper()
	all, err := recordings.All()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, r := range all {
		for _, w := range r.Windows {
			b, err := json.Marshal(w.Events)
			if err != nil {
				t.Fatal(err)
			}
			out[r.Name+"/"+w.ID] = b
		}
	}
	return out
}

func envelope(events []byte) []byte {
	return []byte(`{"key":"k","session":"s","window":"w","seq":0,"events":` + string(events) + `}`)
}

// Real recordings, by Playhead's recorder and by stock rrweb, are taken
// whole and unchanged.
func TestDecodeRecordings(t *testing.T) {
	for name, events := range recorded(t) {
		t.Run(name, func(t *testing.T) {
			// The recordings were made in the past: now is after them.
			env, err := Decode(envelope(events), "", time.Now(), DefaultLimits)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var in, out []json.RawMessage
			if err := json.Unmarshal(events, &in); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(storedEvents(t, env.Batch.Events), &out); err != nil {
				t.Fatal(err)
			}
			if len(in) != len(out) || env.Batch.Count != len(in) {
				t.Fatalf("%d events in, %d out, count %d", len(in), len(out), env.Batch.Count)
			}
			for i := range in {
				if !bytes.Equal(in[i], out[i]) {
					t.Fatalf("event %d changed:\n in %.200s\nout %.200s", i, in[i], out[i])
				}
			}
		})
	}
}
