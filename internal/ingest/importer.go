package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// An import file is what GET …/sessions/{id}/export writes:
//
//	{"playhead":1,"session":{…},"windows":[{"id":"…","events":[…]},…]}
//
// or a plain array of rrweb events, taken as one window. docs/api.md
// describes both.

// DefaultMaxImport bounds an import file, compressed or not: the server
// holds it, and its batches, in memory while it checks them.
const DefaultMaxImport = 64 << 20

// An import is cut into batches as a recorder would send them: a new one
// at each page load, and at these sizes.
const (
	importBatchEvents = 1000
	importBatchBytes  = 1 << 20
)

type importFile struct {
	Playhead int `json:"playhead"`
	Session  struct {
		UserAgent     string `json:"user_agent"`
		ClockOffsetMS int64  `json:"clock_offset_ms"`
	} `json:"session"`
	Windows []importWindow `json:"windows"`
}

type importWindow struct {
	ID     string            `json:"id"`
	Events []json.RawMessage `json:"events"`
}

// Import is a decoded, validated import file: batches ready for the log,
// numbered per window from 0, of the session id given to DecodeImport.
type Import struct {
	Batches []*batch.Batch
	Windows int
	Events  int
}

// DecodeImport reads an import file (body, with its Content-Encoding) of
// at most maxFile bytes once decompressed, and cuts it into batches of
// session that pass Decode's checks under lim. Every
// failure is an *Error: a 4xx that says what is wrong with the file. The
// batches' receive times are the file's (its events' newest time moved by
// the session's clock offset, at the latest now), so that the session
// keeps its dates.
func DecodeImport(body []byte, encoding, session string, now time.Time, lim Limits, maxFile int64) (*Import, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	fileLim := lim
	fileLim.MaxDecoded = maxFile
	raw, err := decompress(body, encoding, fileLim, buf)
	if err != nil {
		return nil, err
	}
	var f importFile
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		f.Playhead = 1
		f.Windows = []importWindow{{ID: "imported"}}
		err = json.Unmarshal(raw, &f.Windows[0].Events)
	} else {
		err = json.Unmarshal(raw, &f)
	}
	if err != nil {
		return nil, reject(http.StatusBadRequest, "invalid_file", "the file is not a Playhead export or an array of rrweb events: %v", err)
	}
	if f.Playhead != 1 {
		return nil, reject(http.StatusBadRequest, "unsupported_version", "the file's \"playhead\" is %d; this server reads version 1", f.Playhead)
	}
	if len(f.Windows) == 0 {
		return nil, reject(http.StatusBadRequest, "no_events", "the file has no windows")
	}
	if len(f.Windows) > store.MaxWindows {
		return nil, reject(http.StatusRequestEntityTooLarge, "too_many_windows", "the file has %d windows; at most %d", len(f.Windows), store.MaxWindows)
	}
	im := &Import{Windows: len(f.Windows)}
	seen := map[string]bool{}
	for _, w := range f.Windows {
		if seen[w.ID] {
			return nil, reject(http.StatusBadRequest, "invalid_window", "window %.64q is in the file twice", w.ID)
		}
		seen[w.ID] = true
		if len(w.Events) == 0 {
			return nil, reject(http.StatusBadRequest, "no_events", "window %.64q has no events", w.ID)
		}
		seq := 0
		for start := 0; start < len(w.Events); seq++ {
			end := cutBatch(w.Events, start)
			b, err := importBatch(session, w.ID, seq, w.Events[start:end], now, lim)
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					return nil, reject(e.Status, e.Code, "window %.64q, events %d to %d: %s", w.ID, start, end-1, e.Message)
				}
				return nil, err
			}
			b.UserAgent = Clip(f.Session.UserAgent, lim.MaxUserAgent)
			received := time.UnixMilli(b.Last).Add(time.Duration(f.Session.ClockOffsetMS) * time.Millisecond)
			b.Received = received
			if received.After(now) {
				b.Received = now
			}
			im.Batches = append(im.Batches, b)
			im.Events += b.Count
			start = end
		}
	}
	return im, nil
}

// cutBatch says where the batch that starts at events[start] ends: before
// the next page load (rrweb Meta event), or at the batch's size.
func cutBatch(events []json.RawMessage, start int) int {
	size := 0
	for i := start; i < len(events); i++ {
		if i > start && (i-start >= importBatchEvents || size >= importBatchBytes || isMeta(events[i])) {
			return i
		}
		size += len(events[i])
	}
	return len(events)
}

func isMeta(e json.RawMessage) bool {
	var head struct {
		Type json.Number `json:"type"`
	}
	return json.Unmarshal(e, &head) == nil && string(head.Type) == strconv.Itoa(eventMeta)
}

// importBatch checks events as ingest checks a batch of them.
func importBatch(session, window string, seq int, events []json.RawMessage, now time.Time, lim Limits) (*batch.Batch, error) {
	id, err := json.Marshal(window)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"key":"import","session":%q,"window":%s,"seq":%d,"events":[`, session, id, seq)
	for i, e := range events {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(e)
	}
	body.WriteString("]}")
	env, err := Decode(body.Bytes(), "", now, lim)
	if err != nil {
		return nil, err
	}
	return &env.Batch, nil
}

// newSessionID names an imported session: "imp" and 128 random bits, so
// that it never meets a recorder's id.
func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "imp" + base64.RawURLEncoding.EncodeToString(b)
}

// Importer serves POST /api/v1/projects/{project}/import: it makes a new
// session of the project from an export file.
type Importer struct {
	Log      Log
	Projects interface {
		ProjectByID(ctx context.Context, id int64) (store.Project, error)
	}
	Limits    Limits
	MaxImport int64 // bytes of the file; 0 for DefaultMaxImport
	Logger    *slog.Logger
}

func (im *Importer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	if err != nil {
		writeError(w, reject(http.StatusNotFound, "not_found", "no such project"))
		return
	}
	p, err := im.Projects.ProjectByID(ctx, id)
	if err == nil && !p.Deleted.IsZero() {
		err = store.ErrNotFound
	}
	if err != nil {
		im.fail(w, r, err)
		return
	}
	max := im.MaxImport
	if max <= 0 {
		max = DefaultMaxImport
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, max)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			im.fail(w, r, reject(http.StatusRequestEntityTooLarge, "body_too_large", "the file is over %d bytes", max))
			return
		}
		im.fail(w, r, reject(http.StatusBadRequest, "body_unreadable", "the file could not be read: %v", err))
		return
	}
	session := newSessionID()
	imp, err := DecodeImport(body.Bytes(), r.Header.Get("Content-Encoding"), session, time.Now(), im.Limits, max)
	if err != nil {
		im.fail(w, r, err)
		return
	}
	for _, b := range imp.Batches {
		b.Project = p.ID
		if _, err := im.Log.Append(ctx, b); err != nil {
			// The batches before stay: a session cut short, which the
			// message names so that it can be found and deleted.
			im.fail(w, r, fmt.Errorf("import into session %s: %w", session, err))
			return
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"project": p.ID, "session": session,
		"windows": imp.Windows, "batches": len(imp.Batches), "events": imp.Events})
}

func (im *Importer) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		e  *Error
		ue *store.UnavailableError
	)
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrNotFound):
		e = reject(http.StatusNotFound, "not_found", "no such project")
	case errors.As(err, &ue):
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetry))
		e = reject(http.StatusServiceUnavailable, string(ue.Reason), "the server cannot store the import now: %s (%v)", ue.Reason.Describe(), err)
	case errors.Is(err, store.ErrBusy), errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		e = reject(http.StatusServiceUnavailable, "overloaded", "the server is busy: %v; retry after the time in Retry-After", err)
	case errors.Is(err, context.Canceled):
		e = reject(499, "client_gone", "the client went away")
	default:
		im.Logger.Error("import", "request_id", r.Header.Get("X-Request-Id"), "err", err)
		e = reject(http.StatusInternalServerError, "internal", "the import failed: %v", err)
	}
	writeError(w, e)
}
