package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playhead/playhead/internal/store"
)

// A failing step is retried after a pause that doubles from minPause up
// to maxPause, so that a full disk is not hammered, nor the log flooded.
const (
	minPause     = 100 * time.Millisecond
	maxPause     = 30 * time.Second
	defaultStall = 30 * time.Second
)

func backoff(last time.Duration) time.Duration {
	if last <= 0 {
		return minPause
	}
	return min(2*last, maxPause)
}

// state is what Run shares with Health and the metrics.
type state struct {
	mu       sync.Mutex
	running  bool
	known    bool      // upto has been read from the index
	upto     int64     // the position reached
	progress time.Time // when the position last moved, or Run started
	err      error     // the last step's failure; nil when it succeeded
	since    time.Time // when the failures began
	failures int
	waiting  int // erasures waiting for the index: no gathering meanwhile
}

func (s *state) hurry(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.waiting++
	} else {
		s.waiting--
	}
}

func (s *state) hurried() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting > 0
}

func (s *state) start(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running, s.progress = true, now
}

func (s *state) position() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upto, s.known
}

func (s *state) moved(upto int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || upto != s.upto {
		s.progress = now
	}
	s.known, s.upto = true, upto
}

// record notes the outcome of catching up, and logs a failure episode
// when it begins and when it ends.
func (p *Processor) record(err error) {
	s := &p.state
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && s.err == nil:
		s.err, s.since, s.failures = err, time.Now(), 1
		p.Logger.Error("processing the log fails: the session list falls behind until it works again; retrying with a growing pause",
			"err", err)
	case err != nil:
		s.err = err
		s.failures++
		p.Logger.Debug("processing the log still fails", "err", err, "failures", s.failures)
	case s.err != nil:
		p.Logger.Info("processing the log works again", "after", time.Since(s.since).Round(time.Millisecond),
			"failures", s.failures, "position", s.upto)
		s.err = nil
	}
}

// ErrUnhealthy is what Health's errors match: the processor fails or is
// stalled, and the session list falls behind.
var ErrUnhealthy = errors.New("processor unhealthy")

// Health returns nil while the processor keeps up, or an error saying why
// it does not: its last step failed, or a batch has waited for it longer
// than the Stall time while it has not moved. It reads the backlog from
// the log.
func (p *Processor) Health(ctx context.Context) error {
	s := &p.state
	s.mu.Lock()
	running, upto, progress, failure, since, failures := s.running, s.upto, s.progress, s.err, s.since, s.failures
	s.mu.Unlock()
	if !running {
		return nil // starting
	}
	if failure != nil {
		reason := "failing"
		if ue := (*store.UnavailableError)(nil); errors.As(failure, &ue) {
			reason = "failing: " + ue.Reason.Describe()
		}
		return fmt.Errorf("%w: %s for %v (%d attempts): %w", ErrUnhealthy, reason,
			time.Since(since).Round(time.Second), failures, failure)
	}
	stall := orPositive(p.Stall, defaultStall)
	idle := time.Since(progress)
	if idle < stall {
		return nil
	}
	behind, oldest, err := p.Log.Backlog(ctx, upto)
	if err != nil {
		return fmt.Errorf("%w: cannot read the backlog: %w", ErrUnhealthy, err)
	}
	// The oldest waiting batch must be old too: after a quiet hour, a
	// batch that came in a moment ago is not a stall.
	if behind > 0 && time.Since(oldest) >= stall {
		return fmt.Errorf("%w: stalled: %d batches behind (oldest received %v ago) and no progress for %v",
			ErrUnhealthy, behind, time.Since(oldest).Round(time.Second), idle.Round(time.Second))
	}
	return nil
}

// Lag says how many batches of the log the sessions index has not taken
// in yet, and when the first of them was received (zero when none is
// waiting). Before Run has read its position, the index's is used.
func (p *Processor) Lag(ctx context.Context) (batches int64, oldest time.Time, err error) {
	s := &p.state
	s.mu.Lock()
	upto, known := s.upto, s.known
	s.mu.Unlock()
	if !known {
		if upto, err = p.Index.Processed(ctx, Name); err != nil {
			return 0, time.Time{}, err
		}
	}
	return p.Log.Backlog(ctx, upto)
}

// Collectors returns the processor's lag as Prometheus gauges, read from
// the log at each scrape.
func (p *Processor) Collectors() []prometheus.Collector {
	return []prometheus.Collector{&lagCollector{p: p}}
}

var (
	lagBatches = prometheus.NewDesc("playhead_process_lag_batches",
		"Batches in the log that the sessions index has not taken in yet.", nil, nil)
	lagSeconds = prometheus.NewDesc("playhead_process_lag_seconds",
		"Age of the oldest batch the sessions index has not taken in yet (from its receive time); 0 when none.", nil, nil)
	failing = prometheus.NewDesc("playhead_process_failing",
		"1 while the processor's last step failed, else 0.", nil, nil)
)

type lagCollector struct{ p *Processor }

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagBatches
	ch <- lagSeconds
	ch <- failing
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	s := &c.p.state
	s.mu.Lock()
	known, failed := s.known, s.err != nil
	s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(failing, prometheus.GaugeValue, b2f(failed))
	if !known {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	behind, oldest, err := c.p.Lag(ctx)
	if err != nil {
		// Left out rather than failing the whole scrape: the failure
		// shows in /readyz and the log.
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(lagBatches, prometheus.GaugeValue, float64(behind))
	ch <- prometheus.MustNewConstMetric(lagSeconds, prometheus.GaugeValue, age)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
