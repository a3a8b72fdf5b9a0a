package sqlite

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	commitSeconds prometheus.Histogram
	commitBatches prometheus.Histogram
}

func newMetrics() metrics {
	return metrics{
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "playhead_log_commit_seconds",
			Help:    "Time to commit and fsync one group of batches.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitBatches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "playhead_log_commit_batches",
			Help:    "Batches that shared one commit (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
	}
}

// Collectors returns the store's metrics, for a Prometheus registry.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		s.metrics.commitSeconds,
		s.metrics.commitBatches,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "playhead_log_queue_bytes",
			Help: "Bytes of batches waiting for a commit.",
		}, func() float64 { return float64(s.queued.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "playhead_log_queue_limit_bytes",
			Help: "Bytes of waiting batches above which ingest answers 503.",
		}, func() float64 { return float64(s.maxQueued.Load()) }),
	}
}
