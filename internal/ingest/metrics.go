package ingest

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	accepted, duplicates prometheus.Counter
	wireBytes, jsonBytes prometheus.Counter
	rejections           *prometheus.CounterVec
	seconds              prometheus.Histogram
}

// newMetrics makes the ingest metrics; inFlight reads the requests in hand.
func newMetrics(reg prometheus.Registerer, inFlight func() float64) *metrics {
	batches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "playhead_ingest_batches_total",
		Help: "Batches stored (result=accepted) or recognised as repeats (result=duplicate).",
	}, []string{"result"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "playhead_ingest_bytes_total",
		Help: "Bytes of accepted batches: as sent (kind=wire) and as event JSON (kind=json).",
	}, []string{"kind"})
	m := &metrics{
		accepted:   batches.WithLabelValues("accepted"),
		duplicates: batches.WithLabelValues("duplicate"),
		wireBytes:  bytes.WithLabelValues("wire"),
		jsonBytes:  bytes.WithLabelValues("json"),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playhead_ingest_rejections_total",
			Help: "Requests refused, by error code.",
		}, []string{"code"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "playhead_ingest_request_seconds",
			Help:    "Time from a request's arrival to its answer.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	if reg != nil {
		reg.MustRegister(batches, bytes, m.rejections, m.seconds,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "playhead_ingest_requests_in_flight",
				Help: "Ingest requests in hand, past the per-address limit.",
			}, inFlight))
	}
	return m
}
