// Package ingest owns the front door of the data path: it decodes and
// validates batches of rrweb events posted by recorders, answers bad input
// with a clear 4xx, and hands good batches to the durable log.
package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/playhead/playhead/internal/batch"
)

// Limits bound what one request may cost. Every one is documented in
// docs/api.md.
type Limits struct {
	MaxBody      int64         // bytes on the wire, compressed or not
	MaxDecoded   int64         // bytes of JSON after decompression
	MaxEvents    int           // events in one batch
	MaxSkew      time.Duration // how far past the server's clock an event may be
	MinTimestamp int64         // ms since the epoch; older is absurd
}

// DefaultLimits are generous for real recorders (a FullSnapshot of a heavy
// page with inlined CSS is a few MB) and small enough to keep memory bounded.
var DefaultLimits = Limits{
	MaxBody:      2 << 20,
	MaxDecoded:   16 << 20,
	MaxEvents:    10_000,
	MaxSkew:      48 * time.Hour,
	MinTimestamp: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
}

// Error is a rejection of bad input: an HTTP status, a stable code that
// clients can test, and a message that says what to fix.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func reject(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Envelope is a decoded, validated request body. Key is not yet checked
// against the projects.
type Envelope struct {
	Key   string
	Batch batch.Batch
}

// rrweb event types (rrweb's EventType enum).
const (
	eventMeta   = 4
	maxEventype = 6 // Plugin
)

type wireEnvelope struct {
	Key     *string           `json:"key"`
	Session *string           `json:"session"`
	Window  *string           `json:"window"`
	Seq     json.RawMessage   `json:"seq"`
	Events  []json.RawMessage `json:"events"`
}

type wireEvent struct {
	Type      json.RawMessage `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type wireMeta struct {
	Href   string  `json:"href"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// ReadBody reads a request body within the limits, undoing gzip when the
// request says so.
func ReadBody(r io.Reader, encoding string, lim Limits) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, lim.MaxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the body is over %d bytes", lim.MaxBody)
		}
		return nil, reject(http.StatusBadRequest, "body_unreadable", "the body could not be read: %v", err)
	}
	if int64(len(raw)) > lim.MaxBody {
		return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the body is over %d bytes", lim.MaxBody)
	}
	switch encoding {
	case "", "identity":
		if int64(len(raw)) > lim.MaxDecoded {
			return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the JSON is over %d bytes", lim.MaxDecoded)
		}
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, reject(http.StatusBadRequest, "bad_gzip", "Content-Encoding is gzip but the body is not gzip: %v", err)
		}
		// Stop at the limit: a gzip bomb costs no more than MaxDecoded.
		out, err := io.ReadAll(io.LimitReader(zr, lim.MaxDecoded+1))
		if err != nil {
			return nil, reject(http.StatusBadRequest, "bad_gzip", "the gzip body is damaged or truncated: %v", err)
		}
		if int64(len(out)) > lim.MaxDecoded {
			return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the decompressed JSON is over %d bytes", lim.MaxDecoded)
		}
		return out, nil
	default:
		return nil, reject(http.StatusUnsupportedMediaType, "unsupported_encoding", "Content-Encoding %q is not supported; send gzip or no encoding", encoding)
	}
}

// Decode parses and validates a JSON body. now is the server's clock, used
// only to refuse absurd timestamps.
func Decode(body []byte, now time.Time, lim Limits) (*Envelope, error) {
	var w wireEnvelope
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError("the body", err)
	}
	if w.Key == nil || *w.Key == "" {
		return nil, reject(http.StatusBadRequest, "missing_key", `"key" is required: the project's ingest key`)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"session", w.Session}, {"window", w.Window}} {
		if f.v == nil {
			return nil, reject(http.StatusBadRequest, "missing_"+f.name, "%q is required", f.name)
		}
		if !validID(*f.v) {
			return nil, reject(http.StatusBadRequest, "invalid_"+f.name, "%q must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -", f.name)
		}
	}
	if w.Seq == nil {
		return nil, reject(http.StatusBadRequest, "missing_seq", `"seq" is required: the window's batch number, from 0`)
	}
	seq, err := wholeNumber(w.Seq)
	if err != nil || seq < 0 || seq > math.MaxInt32 {
		return nil, reject(http.StatusBadRequest, "invalid_seq", `"seq" must be a whole number from 0 to %d`, math.MaxInt32)
	}
	if w.Events == nil {
		return nil, reject(http.StatusBadRequest, "missing_events", `"events" is required: an array of rrweb events`)
	}
	if len(w.Events) == 0 {
		return nil, reject(http.StatusBadRequest, "no_events", `"events" is empty: send batches with at least one event`)
	}
	if len(w.Events) > lim.MaxEvents {
		return nil, reject(http.StatusRequestEntityTooLarge, "too_many_events", "%d events in one batch; the limit is %d", len(w.Events), lim.MaxEvents)
	}
	env := &Envelope{Key: *w.Key}
	b := &env.Batch
	b.Session, b.Window, b.Seq = *w.Session, *w.Window, seq
	b.Count = len(w.Events)
	b.First, b.Last = math.MaxInt64, math.MinInt64
	maxTS := now.Add(lim.MaxSkew).UnixMilli()
	size := 2 + len(w.Events) - 1
	for i, raw := range w.Events {
		var e wireEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, jsonError(fmt.Sprintf("event %d", i), err)
		}
		typ, err := wholeNumber(e.Type)
		if err != nil || typ < 0 || typ > maxEventype {
			return nil, reject(http.StatusBadRequest, "invalid_event", "event %d: \"type\" must be an rrweb event type, 0 to %d", i, maxEventype)
		}
		ts, err := wholeNumber(e.Timestamp)
		if err != nil {
			return nil, reject(http.StatusBadRequest, "invalid_event", "event %d: \"timestamp\" must be a number of milliseconds since 1970", i)
		}
		if ts < lim.MinTimestamp || ts > maxTS {
			return nil, reject(http.StatusBadRequest, "invalid_timestamp", "event %d: timestamp %d is not a plausible time (ms since 1970)", i, ts)
		}
		if len(e.Data) == 0 || e.Data[0] != '{' {
			return nil, reject(http.StatusBadRequest, "invalid_event", "event %d: \"data\" must be an object", i)
		}
		if typ == eventMeta {
			var m wireMeta
			if err := json.Unmarshal(e.Data, &m); err != nil {
				return nil, jsonError(fmt.Sprintf("event %d (Meta) data", i), err)
			}
			b.Pages = append(b.Pages, batch.Page{URL: m.Href, Timestamp: ts, Width: int(m.Width), Height: int(m.Height)})
		}
		b.First, b.Last = min(b.First, ts), max(b.Last, ts)
		size += len(raw)
	}
	events := make([]byte, 0, size)
	events = append(events, '[')
	for i, raw := range w.Events {
		if i > 0 {
			events = append(events, ',')
		}
		events = append(events, raw...)
	}
	b.Events = append(events, ']')
	return env, nil
}

// wholeNumber reads a JSON number that must be a whole number. rrweb
// writes timestamps as integers; a float with no fraction is accepted too,
// but not a number in a string.
func wholeNumber(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return 0, errors.New("not a number")
	}
	if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("not a whole number")
	}
	return int64(f), nil
}

func jsonError(what string, err error) *Error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return reject(http.StatusBadRequest, "invalid_type", "%s must be a JSON object, not %s", what, typeErr.Value)
		}
		return reject(http.StatusBadRequest, "invalid_type", "%s: field %q must not be %s", what, field, typeErr.Value)
	}
	return reject(http.StatusBadRequest, "invalid_json", "%s is not valid JSON: %v", what, err)
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
