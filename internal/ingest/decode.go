// Package ingest owns the front door of the data path: it decodes and
// validates batches of rrweb events posted by recorders, answers bad input
// with a clear 4xx, and hands good batches to the durable log.
package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/jsonlex"
)

// Limits bound what one request may cost. Every one is documented in
// docs/api.md.
type Limits struct {
	MaxBody      int64         // bytes on the wire, compressed or not
	MaxDecoded   int64         // bytes of JSON after decompression
	MaxEvents    int           // events in one batch
	MaxDepth     int           // nesting of JSON objects and arrays
	MaxSkew      time.Duration // how far past the server's clock an event may be
	MinTimestamp int64         // ms since the epoch; older is absurd

	// What the server keeps beside the events, which are stored as sent:
	// without these bounds a small gzip body could fill the index and the
	// dashboard with megabytes of URL or User-Agent.
	MaxPageViews int   // Meta events (page views) in one batch
	MaxURL       int   // bytes of a page view's URL kept; longer ones are cut
	MaxUserAgent int   // bytes of the User-Agent header kept; longer ones are cut
	MaxKey       int   // bytes of an ingest key; longer ones are refused unseen
	MaxHeader    int64 // bytes of request headers (http.Server.MaxHeaderBytes)
	MaxDrain     int64 // bytes of an over-large body read and discarded so the 413 gets through
}

// DefaultLimits are generous for real recorders (a FullSnapshot of a heavy
// page with inlined CSS is a few MB) and small enough to keep memory bounded.
var DefaultLimits = Limits{
	MaxBody:      1 << 20,
	MaxDecoded:   16 << 20,
	MaxEvents:    10_000,
	MaxDepth:     1000,
	MaxSkew:      48 * time.Hour,
	MinTimestamp: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
	MaxPageViews: 100,
	MaxURL:       2048,
	MaxUserAgent: 512,
	MaxKey:       128,
	MaxHeader:    16 << 10,
	MaxDrain:     64 << 20,
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
	Key      string
	Batch    batch.Batch
	JSONSize int // bytes of JSON, once decompressed
}

// rrweb event types (rrweb's EventType enum).
const (
	eventMeta    = 4
	maxEventType = 6 // Plugin
)

type wireMeta struct {
	Href   string  `json:"href"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Buffers for bodies and JSON are reused: a batch's bytes are garbage as
// soon as it is compressed, and allocating (and clearing) them anew was a
// tenth of ingest's CPU.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return // rare giants are left to the collector
	}
	b.Reset()
	buffers.Put(b)
}

var gzipReaders sync.Pool

// decompress undoes a body's Content-Encoding, within the limits: it stops
// at MaxDecoded, so a gzip bomb costs no more than that. A decompressed body
// is written to dst.
func decompress(body []byte, encoding string, lim Limits, dst *bytes.Buffer) ([]byte, error) {
	switch encoding {
	case "", "identity":
		if int64(len(body)) > lim.MaxDecoded {
			return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the JSON is over %d bytes", lim.MaxDecoded)
		}
		return body, nil
	case "gzip":
	default:
		return nil, reject(http.StatusUnsupportedMediaType, "unsupported_encoding", "Content-Encoding %q is not supported; send gzip or no encoding", encoding)
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(body))
	} else {
		err = zr.Reset(bytes.NewReader(body))
	}
	if err != nil {
		return nil, reject(http.StatusBadRequest, "bad_gzip", "Content-Encoding is gzip but the body is not gzip: %v", err)
	}
	defer gzipReaders.Put(zr)
	// rrweb JSON compresses about eight to one.
	buf := dst
	buf.Grow(int(min(int64(len(body))*8, lim.MaxDecoded+1)))
	_, err = buf.ReadFrom(io.LimitReader(zr, lim.MaxDecoded+1))
	if err != nil {
		return nil, reject(http.StatusBadRequest, "bad_gzip", "the gzip body is damaged or truncated: %v", err)
	}
	if int64(buf.Len()) > lim.MaxDecoded {
		return nil, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the decompressed JSON is over %d bytes", lim.MaxDecoded)
	}
	return buf.Bytes(), nil
}

// Decode reads a request body as sent, encoding being its
// Content-Encoding, and validates it. now is the server's clock, used only
// to refuse absurd timestamps. The batch's events come out in their stored
// form: a gzipped body is kept as the client compressed it.
func Decode(body []byte, encoding string, now time.Time, lim Limits) (*Envelope, error) {
	buf := getBuffer()
	lent := false
	defer func() {
		if !lent {
			putBuffer(buf)
		}
	}()
	raw, err := decompress(body, encoding, lim, buf)
	if err != nil {
		return nil, err
	}
	d := decoders.Get().(*decoder)
	*d = decoder{
		s:      newScanner(raw, lim.MaxDepth),
		lim:    lim,
		maxTS:  now.Add(lim.MaxSkew).UnixMilli(),
		events: d.events[:0],
		metas:  d.metas[:0],
	}
	defer putDecoder(d)
	if err := d.envelope(); err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	env := &Envelope{Key: *d.key, JSONSize: len(raw)}
	b := &env.Batch
	b.Session, b.Window, b.Seq = *d.session, *d.window, d.seq
	b.Count = len(d.events)
	b.First, b.Last = math.MaxInt64, math.MinInt64
	for _, e := range d.events {
		b.First, b.Last = min(b.First, e.ts), max(b.Last, e.ts)
	}
	for _, e := range d.metas {
		var m wireMeta
		if err := json.Unmarshal(raw[e.dataStart:e.dataEnd], &m); err != nil {
			return nil, jsonError(fmt.Sprintf("event %d (Meta) data", e.index), err)
		}
		b.Pages = append(b.Pages, batch.Page{URL: Clip(m.Href, lim.MaxURL), Timestamp: e.ts, Width: int(m.Width), Height: int(m.Height)})
	}
	sum := sha256.Sum256(raw[d.eventsStart:d.eventsEnd])
	b.Hash = sum[:]
	// The events array is stored as it was sent, byte for byte.
	if encoding == "gzip" {
		// raw is the pooled buffer it was inflated into: lent to the
		// batch rather than copied, given back by its Release.
		b.Checked, b.Release, lent = raw[d.eventsStart:d.eventsEnd], func() { putBuffer(buf) }, true
		b.Events = batch.FromGzipBody(body, d.eventsStart, d.eventsEnd)
	} else {
		// raw is the request's body, whose buffer the handler reuses.
		b.Checked = bytes.Clone(raw[d.eventsStart:d.eventsEnd])
		b.Events = batch.Compress(raw[d.eventsStart:d.eventsEnd])
	}
	return env, nil
}

// Decoders are reused for their lists of events: growing them anew for
// every batch was a tenth of what the server allocated.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

func putDecoder(d *decoder) {
	if cap(d.events) > 4096 {
		return // a rare giant is left to the collector
	}
	*d = decoder{events: d.events[:0], metas: d.metas[:0]}
	decoders.Put(d)
}

// decoder reads the envelope with the scanner, keeping the spans of the
// events so that they are stored exactly as sent.
type decoder struct {
	s     scanner
	lim   Limits
	maxTS int64

	key, session, window *string
	seq                  int64
	seqSeen              bool
	eventsSeen           bool
	eventsStart          int // the events array in the body
	eventsEnd            int
	events               []eventSpan
	metas                []eventSpan
}

type eventSpan struct {
	index              int
	dataStart, dataEnd int // the event's data object
	typ, ts            int64
}

func (d *decoder) envelope() error {
	s := &d.s
	if s.Peek() != '{' {
		if err := s.value(); err != nil {
			return syntaxReject("the body", err)
		}
		return reject(http.StatusBadRequest, "invalid_type", "the body must be a JSON object")
	}
	err := s.object(func(k []byte, escaped bool) error {
		switch string(unescapeKey(k, escaped)) {
		case "key":
			return d.stringField("key", &d.key)
		case "session":
			return d.stringField("session", &d.session)
		case "window":
			return d.stringField("window", &d.window)
		case "seq":
			d.seqSeen = true
			n, err := d.wholeNumber()
			if err != nil || n < 0 || n > math.MaxInt32 {
				return reject(http.StatusBadRequest, "invalid_seq", `"seq" must be a whole number from 0 to %d`, math.MaxInt32)
			}
			d.seq = n
			return nil
		case "events":
			d.eventsStart = s.Pos
			if err := d.eventList(); err != nil {
				return err
			}
			d.eventsEnd = s.Pos
			return nil
		default:
			return s.value()
		}
	})
	if err == nil {
		err = s.End()
	}
	return syntaxReject("the body", err)
}

// unescapeKey returns the text of a string's contents; escapes are rare
// enough in keys and ids to decode the slow way.
func unescapeKey(k []byte, escaped bool) []byte {
	if !escaped {
		return k
	}
	var out string
	if json.Unmarshal([]byte(`"`+string(k)+`"`), &out) != nil {
		return nil
	}
	return []byte(out)
}

func (d *decoder) stringField(name string, dst **string) error {
	if d.s.Peek() != '"' {
		return reject(http.StatusBadRequest, "invalid_type", "%q must be a string", name)
	}
	start, end, _, err := d.s.String()
	if err != nil {
		return err
	}
	raw := d.s.Data[start+1 : end-1]
	v := string(unescapeKey(raw, hasEscape(raw)))
	*dst = &v
	return nil
}

func (d *decoder) wholeNumber() (int64, error) {
	if c := d.s.Peek(); c != '-' && (c < '0' || c > '9') {
		if err := d.s.value(); err != nil {
			return 0, err
		}
		return 0, errors.New("not a number")
	}
	n, err := d.s.Number()
	if err != nil {
		return 0, err
	}
	return wholeNumber(n)
}

func (d *decoder) eventList() error {
	s := &d.s
	if s.Peek() != '[' {
		return reject(http.StatusBadRequest, "invalid_type", `"events" must be an array of rrweb events`)
	}
	d.eventsSeen = true
	d.events, d.metas = d.events[:0], d.metas[:0]
	return s.array(func() error {
		i := len(d.events)
		if i >= d.lim.MaxEvents {
			return reject(http.StatusRequestEntityTooLarge, "too_many_events", "more than %d events in one batch; send smaller batches", d.lim.MaxEvents)
		}
		if s.Peek() != '{' {
			return reject(http.StatusBadRequest, "invalid_type", "event %d must be an object", i)
		}
		e := eventSpan{index: i, typ: -1, ts: -1, dataStart: -1}
		err := s.object(func(k []byte, escaped bool) error {
			switch string(unescapeKey(k, escaped)) {
			case "type":
				n, err := d.wholeNumber()
				if err != nil || n < 0 || n > maxEventType {
					return reject(http.StatusBadRequest, "invalid_event", "event %d: \"type\" must be an rrweb event type, 0 to %d", i, maxEventType)
				}
				e.typ = n
			case "timestamp":
				n, err := d.wholeNumber()
				if err != nil {
					return reject(http.StatusBadRequest, "invalid_event", "event %d: \"timestamp\" must be a number of milliseconds since 1970", i)
				}
				if n < d.lim.MinTimestamp || n > d.maxTS {
					return reject(http.StatusBadRequest, "invalid_timestamp", "event %d: timestamp %d is not a plausible time (ms since 1970)", i, n)
				}
				e.ts = n
			case "data":
				if s.Peek() != '{' {
					return reject(http.StatusBadRequest, "invalid_event", "event %d: \"data\" must be an object", i)
				}
				e.dataStart = s.Pos
				if err := s.value(); err != nil {
					return err
				}
				e.dataEnd = s.Pos
			default:
				return s.value()
			}
			return nil
		})
		if err != nil {
			return err
		}
		switch {
		case e.typ < 0:
			return reject(http.StatusBadRequest, "invalid_event", "event %d has no \"type\"", i)
		case e.ts < 0:
			return reject(http.StatusBadRequest, "invalid_event", "event %d has no \"timestamp\"", i)
		case e.dataStart < 0:
			return reject(http.StatusBadRequest, "invalid_event", "event %d has no \"data\" object", i)
		}
		d.events = append(d.events, e)
		if e.typ == eventMeta {
			if len(d.metas) >= d.lim.MaxPageViews {
				return reject(http.StatusRequestEntityTooLarge, "too_many_page_views", "more than %d page views (Meta events) in one batch; send smaller batches", d.lim.MaxPageViews)
			}
			d.metas = append(d.metas, e)
		}
		return nil
	})
}

// check validates what the envelope said, once it is read whole.
func (d *decoder) check() error {
	if d.key == nil || *d.key == "" {
		return reject(http.StatusBadRequest, "missing_key", `"key" is required: the project's ingest key`)
	}
	if len(*d.key) > d.lim.MaxKey {
		return reject(http.StatusBadRequest, "invalid_key", `"key" is over %d bytes: it is not an ingest key`, d.lim.MaxKey)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"session", d.session}, {"window", d.window}} {
		if f.v == nil {
			return reject(http.StatusBadRequest, "missing_"+f.name, "%q is required", f.name)
		}
		if !validID(*f.v) {
			return reject(http.StatusBadRequest, "invalid_"+f.name, "%q must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -", f.name)
		}
	}
	if !d.seqSeen {
		return reject(http.StatusBadRequest, "missing_seq", `"seq" is required: the window's batch number, from 0`)
	}
	if !d.eventsSeen {
		return reject(http.StatusBadRequest, "missing_events", `"events" is required: an array of rrweb events`)
	}
	if len(d.events) == 0 {
		return reject(http.StatusBadRequest, "no_events", `"events" is empty: send batches with at least one event`)
	}
	return nil
}

// syntaxReject turns a scanner error into the answer to send; rejections
// pass through.
func syntaxReject(what string, err error) error {
	var depth errDepth
	var syntax *jsonlex.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &depth):
		return reject(http.StatusBadRequest, "too_deep", "%s: %v", what, err)
	case errors.As(err, &syntax):
		return reject(http.StatusBadRequest, "invalid_json", "%s is not valid JSON: %v", what, err)
	}
	return err
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
