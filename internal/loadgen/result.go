package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Result is what a run measured.
type Result struct {
	Mode     string // "http" or "bare"
	Target   string // the endpoint, or what bare does
	Workers  int
	Elapsed  time.Duration // until the last worker stopped
	Workload string        // what the batches are made of

	Batches  int64 // accepted (2xx), or processed in bare mode
	Sessions int64 // sessions whose first batch was accepted
	RawBytes int64 // event JSON of those batches, uncompressed
	Wire     int64 // their gzip'd bodies

	Rejected       map[int]int64 // answers other than 2xx, by status
	FirstRejection string
	Errors         int64 // requests that got no answer
	FirstError     string
	Latency        Latency // of every answer; zero in bare mode

	ServerPID                int
	ServerPeakRSS, ServerRSS int64 // bytes (VmHWM, VmRSS); 0 if not read
}

// Latency sums up request latencies.
type Latency struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

// BatchesPerSecond is the rate of accepted (or processed) batches.
func (r Result) BatchesPerSecond() float64 { return float64(r.Batches) / r.Elapsed.Seconds() }

// MBPerSecond is the rate of accepted raw event JSON, in 10^6 bytes.
func (r Result) MBPerSecond() float64 { return float64(r.RawBytes) / 1e6 / r.Elapsed.Seconds() }

func (r *Result) add(t tally) {
	r.Batches += t.accepted
	r.Sessions += t.sessions
	r.RawBytes += t.raw
	r.Wire += t.wire
	r.Errors += t.errors
	if r.FirstError == "" {
		r.FirstError = t.firstError
	}
	if r.FirstRejection == "" {
		r.FirstRejection = t.firstRejection
	}
	for status, n := range t.rejected {
		if r.Rejected == nil {
			r.Rejected = map[int]int64{}
		}
		r.Rejected[status] += n
	}
}

// String is the report printed by `playhead loadgen`. The rate lines are
// kept stable for scripts: "N batches/s" and "N MB/s".
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d workers, %s, %.2fs\n", r.Mode, r.Workers, r.Target, r.Elapsed.Seconds())
	fmt.Fprintf(&b, "  workload  %s\n", r.Workload)
	verb := "accepted"
	if r.Mode == "bare" {
		verb = "processed"
	}
	fmt.Fprintf(&b, "  %-9s %d batches: %.1f batches/s, %.2f MB/s of raw event JSON (%.2f MB/s gzip'd)\n",
		verb, r.Batches, r.BatchesPerSecond(), r.MBPerSecond(), float64(r.Wire)/1e6/r.Elapsed.Seconds())
	if r.Mode == "bare" {
		return b.String()
	}
	fmt.Fprintf(&b, "  sessions  %d\n", r.Sessions)
	l := r.Latency
	fmt.Fprintf(&b, "  latency   p50 %s  p90 %s  p99 %s  max %s  (%d answers)\n", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), l.N)
	fmt.Fprintf(&b, "  rejected  %s\n", r.rejections())
	if r.Errors == 0 {
		fmt.Fprintf(&b, "  errors    0\n")
	} else {
		fmt.Fprintf(&b, "  errors    %d (first: %s)\n", r.Errors, r.FirstError)
	}
	if r.ServerPeakRSS > 0 {
		fmt.Fprintf(&b, "  server    peak RSS %.1f MiB (VmHWM), RSS now %.1f MiB (VmRSS), pid %d\n",
			float64(r.ServerPeakRSS)/(1<<20), float64(r.ServerRSS)/(1<<20), r.ServerPID)
	}
	return b.String()
}

func (r Result) rejections() string {
	if len(r.Rejected) == 0 {
		return "0"
	}
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(r.Rejected)) {
		parts = append(parts, fmt.Sprintf("%d: %d", status, r.Rejected[status]))
	}
	return strings.Join(parts, ", ") + " (first: " + r.FirstRejection + ")"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
