package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

// withRequestID gives every request an id, sent back in X-Request-Id and
// put on the request for handlers to log; a sane id from a proxy in front
// is kept. Requests are logged at debug level only: at the default level a
// busy ingest must not write a line per batch.
func withRequestID(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
			r.Header.Set("X-Request-Id", id)
		}
		w.Header().Set("X-Request-Id", id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		// A 503 says why and when to come back, and its cause (a full
		// disk, an overload) is logged once by whoever found it: a line
		// per request would bury that line.
		level := slog.LevelDebug
		if sw.status >= 500 && sw.status != http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		if logger.Enabled(r.Context(), level) {
			logger.Log(r.Context(), level, "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration", time.Since(start))
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
