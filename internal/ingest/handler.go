package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// Log is the durable log that batches are appended to. Append returns only
// once the batch is on disk; duplicate reports a (session, window, seq)
// that was stored before.
type Log interface {
	Append(ctx context.Context, b *batch.Batch) (duplicate bool, err error)
}

// Projects finds the project an ingest key belongs to.
type Projects interface {
	ProjectByKey(ctx context.Context, key string) (store.Project, error)
}

// Handler serves POST /api/v1/ingest.
type Handler struct {
	Log      Log
	Projects Projects
	Limits   Limits
	Logger   *slog.Logger
	Now      func() time.Time
}

// NewHandler returns a handler with the default limits.
func NewHandler(log Log, projects Projects, logger *slog.Logger) *Handler {
	return &Handler{Log: log, Projects: projects, Limits: DefaultLimits, Logger: logger, Now: time.Now}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowCORS(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, reject(http.StatusMethodNotAllowed, "method_not_allowed", "use POST"))
		return
	}
	duplicate, err := h.ingest(w, r)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			if errors.Is(err, store.ErrClosed) {
				e = reject(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry shortly")
				w.Header().Set("Retry-After", "5")
			} else {
				h.Logger.Error("ingest", "err", err)
				e = reject(http.StatusInternalServerError, "internal", "the batch could not be stored; retry")
			}
		}
		writeError(w, e)
		return
	}
	status := http.StatusAccepted
	if duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]bool{"stored": true, "duplicate": duplicate})
}

func (h *Handler) ingest(w http.ResponseWriter, r *http.Request) (duplicate bool, err error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// text/plain is what navigator.sendBeacon sends a string as.
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			return false, reject(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
		}
	}
	lim := h.Limits
	body, err := ReadBody(http.MaxBytesReader(w, r.Body, lim.MaxBody), r.Header.Get("Content-Encoding"), lim)
	if err != nil {
		return false, err
	}
	now := h.Now()
	env, err := Decode(body, now, lim)
	if err != nil {
		return false, err
	}
	p, err := h.Projects.ProjectByKey(r.Context(), env.Key)
	if errors.Is(err, store.ErrNotFound) {
		return false, reject(http.StatusUnauthorized, "unknown_key", "no project has this ingest key; check the data-key of the snippet")
	}
	if err != nil {
		return false, err
	}
	if !p.Enabled {
		return false, reject(http.StatusForbidden, "project_disabled", "recording is switched off for this project")
	}
	if origin := r.Header.Get("Origin"); origin != "" && len(p.Origins) > 0 && !slices.Contains(p.Origins, origin) {
		return false, reject(http.StatusForbidden, "origin_not_allowed", "origin %s may not send to this project; add it to the project's origins", origin)
	}
	b := &env.Batch
	b.Project = p.ID
	b.Received = now
	b.UserAgent = r.Header.Get("User-Agent")
	return h.Log.Append(r.Context(), b)
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
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Content-Encoding")
		h.Set("Access-Control-Max-Age", "86400")
	}
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
