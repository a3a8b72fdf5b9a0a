package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/internal/store"
)

// Recordings lists the parts of sessions' recordings (compacted chunks and
// batches not compacted yet) and reads the batches from the log; chunks
// are read from the blobs (recordings.go).
type Recordings interface {
	PartLister
	// BatchEvents returns the stored (compressed) events of the batch at
	// log position id, or store.ErrReleased once they are only in chunks.
	BatchEvents(ctx context.Context, id int64) ([]byte, error)
}

// errBadParam is a query parameter that cannot be read.
type errBadParam struct{ msg string }

func (e errBadParam) Error() string { return e.msg }

// timeRange reads from and to (ms since the epoch, recording time): the
// events with from ≤ timestamp < to; either may be left out.
func timeRange(r *http.Request) (from, to int64, err error) {
	from, to = math.MinInt64, math.MaxInt64
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &from}, {"to", &to}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			return 0, 0, errBadParam{fmt.Sprintf("%s must be a time in milliseconds since the epoch, not %.40q", p.name, s)}
		}
		*p.dst = n
	}
	if from >= to {
		return 0, 0, errBadParam{"from must be before to"}
	}
	return from, to, nil
}

// byWindow cuts parts (ordered by window) into one list per window.
func byWindow(parts []store.Part) [][]store.Part {
	var out [][]store.Part
	for i := 0; i < len(parts); {
		j := i + 1
		for j < len(parts) && parts[j].Window == parts[i].Window {
			j++
		}
		out = append(out, parts[i:j])
		i = j
	}
	return out
}

func (a *API) events(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	from, to, err := timeRange(r)
	if err != nil {
		a.fail(w, err)
		return
	}
	ctx := r.Context()
	session := r.PathValue("id")
	parts, err := a.Recordings.Parts(ctx, project, session, r.URL.Query().Get("window"), from, to)
	if err != nil {
		a.fail(w, err)
		return
	}
	a.stream(w, r, "events", session, func(out *lazyWriter) error {
		return merge(out, byWindow(parts), func(p store.Part) ([]byte, error) {
			return a.partEvents(ctx, p)
		}, from, to)
	})
}

// stream answers what write writes, compressed as the client accepts. A
// failure before the first byte is answered as an error; after it, the
// answer is cut short, so that the client sees a broken answer rather
// than a shorter recording.
func (a *API) stream(w http.ResponseWriter, r *http.Request, what, session string, write func(*lazyWriter) error) {
	out := &lazyWriter{w: w, encoding: encoding(r)}
	err := write(out)
	if err == nil {
		err = out.Close()
	}
	if err == nil {
		return
	}
	if !out.started {
		a.fail(w, err)
		return
	}
	if !errors.Is(err, context.Canceled) {
		a.Logger.Error("api: "+what+" answer cut short", "session", session, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// encoding picks the answer's compression from Accept-Encoding: zstd,
// which the player's browsers decode fastest, else gzip, else none.
func encoding(r *http.Request) string {
	accepts := map[string]bool{}
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := strings.ReplaceAll(params, " ", "")
		accepts[strings.ToLower(strings.TrimSpace(name))] = q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	switch {
	case accepts["zstd"]:
		return "zstd"
	case accepts["gzip"]:
		return "gzip"
	}
	return ""
}

var (
	gzipPool = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return w
	}}
	zstdPool = sync.Pool{New: func() any {
		// A small window: the client's memory, and ours per request.
		w, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20),
			zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		return w
	}}
)

// lazyWriter sends the headers, and sets up compression, at the first
// byte written: until then a failure can still be answered as an error.
type lazyWriter struct {
	w        http.ResponseWriter
	encoding string
	started  bool
	out      io.Writer
	close    func() error
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", "application/json")
		h.Add("Vary", "Accept-Encoding")
		l.out, l.close = l.w, func() error { return nil }
		switch l.encoding {
		case "gzip":
			zw := gzipPool.Get().(*gzip.Writer)
			zw.Reset(l.w)
			l.out, l.close = zw, func() error { err := zw.Close(); gzipPool.Put(zw); return err }
		case "zstd":
			zw := zstdPool.Get().(*zstd.Encoder)
			zw.Reset(l.w)
			l.out, l.close = zw, func() error { err := zw.Close(); zstdPool.Put(zw); return err }
		}
		if l.encoding != "" {
			h.Set("Content-Encoding", l.encoding)
		}
		l.w.WriteHeader(http.StatusOK)
	}
	return l.out.Write(p)
}

// Close finishes the compressed stream.
func (l *lazyWriter) Close() error {
	if !l.started {
		return nil
	}
	return l.close()
}

type chunkJSON struct {
	Window   string `json:"window"`
	Pending  bool   `json:"pending"`
	Ord      int    `json:"ord"`
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
	StartMS  int64  `json:"start_ms"`
	EndMS    int64  `json:"end_ms"`
	Events   int    `json:"events"`
	Bytes    int64  `json:"bytes"`
	Full     bool   `json:"full"`
}

// chunks answers the session's chunk index.
func (a *API) chunks(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	parts, err := a.Recordings.Parts(r.Context(), project, r.PathValue("id"), r.URL.Query().Get("window"), math.MinInt64, math.MaxInt64)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"chunks": chunkIndex(parts)})
}

// chunkIndex is what a session's parts say to a player: each window's
// chunks, then its batches not compacted yet as pending pseudo-chunks, a
// new one at each batch that loads a page.
func chunkIndex(parts []store.Part) []chunkJSON {
	out := []chunkJSON{}
	for _, p := range parts {
		if n := len(out) - 1; !p.Chunk && n >= 0 && out[n].Pending && out[n].Window == p.Window && !p.Full {
			c := &out[n]
			c.LastSeq, c.Events, c.Bytes = p.LastSeq, c.Events+p.Events, c.Bytes+p.Bytes
			c.StartMS, c.EndMS = min(c.StartMS, p.First), max(c.EndMS, p.Last)
			continue
		}
		out = append(out, chunkJSON{Window: p.Window, Pending: !p.Chunk, Ord: p.Ord, FirstSeq: p.FirstSeq, LastSeq: p.LastSeq,
			StartMS: p.First, EndMS: p.Last, Events: p.Events, Bytes: p.Bytes, Full: p.Full})
	}
	return out
}
