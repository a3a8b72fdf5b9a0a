package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// probeEvery is how often the writer tries a small commit while the log's
// writes fail and no batch comes to try one: /readyz must recover even
// when a load balancer has stopped sending traffic because of it.
const probeEvery = time.Second

// writeHealth follows the log's commits through a failure episode, so that
// an episode is logged once when it begins and once when it ends, however
// many requests it refuses.
type writeHealth struct {
	mu       sync.Mutex
	err      *store.UnavailableError // the failure of the last commit; nil while commits work
	since    time.Time
	failures int
}

// SetLogger sets where the store reports failure episodes; the default is
// slog.Default().
func (s *Store) SetLogger(l *slog.Logger) { s.logger.Store(l) }

func (s *Store) log() *slog.Logger {
	if l := s.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// WriteErr returns why the log's last commit failed, as a
// *store.UnavailableError, or nil while commits work.
func (s *Store) WriteErr() error {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if s.health.err == nil {
		return nil
	}
	return s.health.err
}

// wrote records the outcome of a commit of the log. Only failures of the
// storage count: any other error belongs to its batches.
func (s *Store) wrote(err error) {
	var ue *store.UnavailableError
	if err != nil && !errors.As(err, &ue) {
		return
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case ue != nil && h.err == nil:
		h.err, h.since, h.failures = ue, time.Now(), 1
		s.log().Error("writes to the data folder fail: ingest answers 503 and /readyz fails until they work again",
			"reason", ue.Reason, "why", ue.Reason.Describe(), "data", s.dir, "err", ue.Err)
	case ue != nil:
		h.err = ue
		h.failures++
	case h.err != nil:
		s.log().Info("writes to the data folder work again", "after", time.Since(h.since).Round(time.Millisecond),
			"failed_commits", h.failures, "data", s.dir)
		h.err = nil
	}
}

// failing tells whether the log's writes fail.
func (s *Store) failing() bool {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.err != nil
}

// probe tries a small commit on the log's writer, to learn whether writes
// work again.
func (s *Store) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('write_probe', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano))
	s.wrote(s.classify(err))
}
