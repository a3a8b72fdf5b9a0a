package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// Log is the durable log that batches are appended to. Append returns only
// once the batch is on disk; duplicate reports a (project, session, window,
// seq) that was stored before with the same events, and store.ErrConflict
// one stored with other events. It answers store.ErrBusy rather than queue
// without bound, and store.ErrClosed while shutting down. It owns b from
// the call on, and calls b.Release (if set) when done with b.Checked.
type Log interface {
	Append(ctx context.Context, b *batch.Batch) (duplicate bool, err error)
}

// Projects finds the project an ingest key belongs to.
type Projects interface {
	ProjectByKey(ctx context.Context, key string) (store.Project, error)
}

// Config holds every limit of the ingest endpoint; docs/api.md lists them.
type Config struct {
	Limits
	RateProject Rate          // batches per project
	RateClient  Rate          // requests per client address
	Proxies     Proxies       // reverse proxies whose X-Forwarded-For is believed
	MaxInFlight int           // requests handled at once; more get 503
	Decoders    int           // bodies decoded at once (CPU-bound work)
	ReadTimeout time.Duration // the whole body must arrive within this
}

// DefaultConfig suits one server on small hardware. A visitor's recorder
// sends a batch every few seconds, so 50 a second from one address leaves
// room for a busy office behind one NAT.
var DefaultConfig = Config{
	Limits:      DefaultLimits,
	RateProject: Rate{Per: 10_000, Burst: 20_000},
	RateClient:  Rate{Per: 50, Burst: 200},
	MaxInFlight: 512,
	Decoders:    2 * runtime.GOMAXPROCS(0),
	ReadTimeout: 10 * time.Second,
}

// Handler serves POST /api/v1/ingest.
type Handler struct {
	log      Log
	projects projectCache
	cfg      Config
	logger   *slog.Logger
	now      func() time.Time

	inFlight   atomic.Int64
	decoders   chan struct{}
	perProject *limiters[int64]
	perClient  *limiters[string]
	quotas     *Quotas
	metrics    *metrics
}

// NewHandler returns the ingest handler. quotas counts what projects send
// (nil: counted in memory only); reg, if not nil, gets the metrics.
func NewHandler(log Log, projects Projects, quotas *Quotas, cfg Config, logger *slog.Logger, reg prometheus.Registerer) *Handler {
	if quotas == nil {
		quotas, _ = LoadQuotas(context.Background(), nil, time.Now())
	}
	h := &Handler{
		quotas:     quotas,
		log:        log,
		projects:   projectCache{source: projects, entries: map[string]projectEntry{}},
		cfg:        cfg,
		logger:     logger,
		now:        time.Now,
		decoders:   make(chan struct{}, max(cfg.Decoders, 1)),
		perProject: newLimiters[int64](cfg.RateProject),
		perClient:  newLimiters[string](cfg.RateClient),
	}
	h.metrics = newMetrics(reg, func() float64 { return float64(h.inFlight.Load()) })
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	allowCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	b, duplicate, err := h.ingest(w, r, start)
	switch {
	case err != nil:
		h.fail(w, r, err)
	case duplicate:
		h.metrics.duplicates.Inc()
		writeStored(w, http.StatusOK, true, b.project)
	default:
		h.metrics.accepted.Inc()
		h.metrics.wireBytes.Add(float64(b.wireSize))
		h.metrics.jsonBytes.Add(float64(b.jsonSize))
		writeStored(w, http.StatusAccepted, false, b.project)
	}
	h.metrics.seconds.Observe(time.Since(start).Seconds())
}

// sizes of an accepted batch, for the metrics, and its project, for the
// answer.
type sizes struct {
	wireSize, jsonSize int
	project            int64
}

func (h *Handler) ingest(w http.ResponseWriter, r *http.Request, now time.Time) (sizes, bool, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		return sizes{}, false, reject(http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
	}
	if ok, wait := h.perClient.allow(h.cfg.Proxies.clientAddr(r), now); !ok {
		return sizes{}, false, tooMany(w, wait, "rate_limited", "too many requests from this address")
	}
	if n := h.inFlight.Add(1); n > int64(h.cfg.MaxInFlight) {
		h.inFlight.Add(-1)
		return sizes{}, false, busy(w, "overloaded", "the server has too many requests in hand")
	}
	defer h.inFlight.Add(-1)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// text/plain is what navigator.sendBeacon sends a string as.
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			return sizes{}, false, reject(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
		}
	}

	// A client gets ReadTimeout to send its whole body, however slowly
	// it trickles; the body is read before a decoder slot is taken so a
	// slow client holds memory but no CPU slot.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(now.Add(h.cfg.ReadTimeout))
	bodyBuf := getBuffer()
	defer putBuffer(bodyBuf)
	body, err := h.readBody(r, bodyBuf)
	if err != nil {
		// What is left of the body is of no use: close rather than read
		// it to keep the connection.
		w.Header().Set("Connection", "close")
		return sizes{}, false, err
	}
	rc.SetReadDeadline(time.Time{})

	select {
	case h.decoders <- struct{}{}:
	case <-r.Context().Done():
		return sizes{}, false, r.Context().Err()
	}
	env, err := Decode(body, r.Header.Get("Content-Encoding"), now, h.cfg.Limits)
	<-h.decoders
	if err != nil {
		return sizes{}, false, err
	}
	// The log takes the checked events over once the batch reaches it.
	appended := false
	defer func() {
		if release := env.Batch.Release; !appended && release != nil {
			release()
		}
	}()

	p, found, err := h.projects.get(r.Context(), env.Key, now)
	if err != nil {
		return sizes{}, false, err
	}
	if !found {
		return sizes{}, false, reject(http.StatusUnauthorized, "unknown_key", "no project has this ingest key; check the data-key of the snippet")
	}
	if !p.Enabled {
		return sizes{}, false, reject(http.StatusForbidden, "project_disabled", "recording is switched off for this project")
	}
	if origin := r.Header.Get("Origin"); origin != "" && len(p.Origins) > 0 && !slices.Contains(p.Origins, origin) {
		return sizes{}, false, reject(http.StatusForbidden, "origin_not_allowed", "origin %s may not send to this project; add it to the project's origins", origin)
	}
	if ok, wait := h.perProject.allow(p.ID, now); !ok {
		return sizes{}, false, tooMany(w, wait, "project_rate_limited", "this project sends more batches than its limit")
	}
	give, refused := h.quotas.take(w, p, int64(env.JSONSize), now)
	if refused != nil {
		return sizes{}, false, refused
	}
	b := &env.Batch
	b.Project = p.ID
	b.Received = now
	b.UserAgent = Clip(r.Header.Get("User-Agent"), h.cfg.MaxUserAgent)
	appended = true
	dup, err := h.log.Append(r.Context(), b)
	if err != nil || dup {
		give()
	} else if err := h.quotas.saveSoon(r.Context(), now); err != nil {
		// The batch is stored; the counts are written again shortly.
		h.logger.Warn("ingest: quotas", "err", err)
	}
	return sizes{len(body), env.JSONSize, p.ID}, dup, err
}

// fail answers an error: a rejection as it says, a failing or closing
// store as a 503 that says why, anything else as the server's own trouble.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		e  *Error
		ue *store.UnavailableError
	)
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrConflict):
		e = reject(http.StatusConflict, "seq_conflict", "this window already has a batch with this seq and other events; nothing was stored: number each new batch of a window one higher")
	case errors.As(err, &ue):
		// The store logs the episode once; a line per refused batch
		// would only bury it.
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetry))
		e = reject(http.StatusServiceUnavailable, string(ue.Reason),
			"the server cannot store batches now: %s; retry after the time in Retry-After", ue.Reason.Describe())
	case errors.Is(err, store.ErrBusy):
		e = busy(w, "overloaded", "the server is behind on writing")
	case errors.Is(err, store.ErrClosed):
		e = busy(w, "shutting_down", "the server is shutting down")
	case errors.Is(err, context.Canceled):
		e = reject(499, "client_gone", "the client went away") // nobody reads it
	default:
		h.logger.Error("ingest", "request_id", r.Header.Get("X-Request-Id"), "err", err)
		e = reject(http.StatusInternalServerError, "internal", "the batch could not be stored; retry")
	}
	h.metrics.rejections.WithLabelValues(e.Code).Inc()
	writeError(w, e)
}

// unavailableRetry is the Retry-After, in seconds, while the store
// fails: space rarely returns within a second.
const unavailableRetry = 10

func tooMany(w http.ResponseWriter, wait time.Duration, code, msg string) *Error {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
	return reject(http.StatusTooManyRequests, code, "%s; retry after the time in Retry-After", msg)
}

func busy(w http.ResponseWriter, code, msg string) *Error {
	w.Header().Set("Retry-After", "1")
	return reject(http.StatusServiceUnavailable, code, "%s; retry after the time in Retry-After", msg)
}

// readBody reads a body of at most MaxBody bytes into buf.
func (h *Handler) readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	limit := h.cfg.MaxBody
	if r.ContentLength > limit {
		return nil, h.tooLarge(r)
	}
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	switch {
	case err == nil && int64(buf.Len()) > limit:
		return nil, h.tooLarge(r)
	case err == nil:
		return buf.Bytes(), nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, reject(http.StatusRequestTimeout, "body_timeout", "the body did not arrive in time")
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, reject(http.StatusRequestTimeout, "body_timeout", "the body did not arrive in time")
		}
		return nil, reject(http.StatusBadRequest, "body_unreadable", "the body could not be read: %v", err)
	}
}

// tooLarge refuses a body over MaxBody. A client still sending when the
// server closes the connection gets a TCP reset, which destroys the answer
// before it reads it; so the rest of the body is read and thrown away, up
// to MaxDrain bytes and within the read deadline, and the 413 is sent once
// the client has sent everything. A client that asked to be told before
// sending (Expect: 100-continue) has sent nothing and needs no draining; a
// body announced as larger than MaxDrain is refused at once, as is the rest
// of one that turns out larger: its client may see a reset instead.
func (h *Handler) tooLarge(r *http.Request) error {
	expecting := strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	if !expecting && r.ContentLength <= h.cfg.MaxDrain {
		io.CopyN(io.Discard, r.Body, h.cfg.MaxDrain)
	}
	return reject(http.StatusRequestEntityTooLarge, "body_too_large", "the body is over %d bytes", h.cfg.MaxBody)
}

// allowCORS lets recorders on any site post. Which origins a project
// accepts is checked against the key in the body, which a preflight does
// not carry.
func allowCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Content-Encoding")
		h.Set("Access-Control-Max-Age", "86400")
	}
}

// writeStored answers a stored batch; the project's id lets the recorder
// link to the replay.
func writeStored(w http.ResponseWriter, status int, duplicate bool, project int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	buf := make([]byte, 0, 64)
	buf = append(buf, `{"stored":true,"duplicate":`...)
	buf = strconv.AppendBool(buf, duplicate)
	buf = append(buf, `,"project":`...)
	buf = strconv.AppendInt(buf, project, 10)
	w.Write(append(buf, "}\n"...))
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
