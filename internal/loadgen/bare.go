package loadgen

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Bare measures the ceiling of ingest on this machine: GOMAXPROCS workers
// that, for the same batches Run sends, do only what storing one cannot
// avoid (gunzip the body, zstd it as the store does) for cfg.Duration.
// A real ingest path is judged by how close it comes.
func Bare(ctx context.Context, cfg Config) (Result, error) {
	w, err := newWorkload(cfg.Corpus, cfg.BatchBytes, time.Now())
	if err != nil {
		return Result{}, err
	}
	type body struct {
		gz  []byte
		raw int
	}
	var bodies []body
	zw := gzip.NewWriter(nil)
	for _, s := range w.sessions {
		for i := range s {
			var buf bytes.Buffer
			if err := s[i].body(&buf, zw, []byte(`"bare"`), "bare", "bare"); err != nil {
				return Result{}, err
			}
			bodies = append(bodies, body{buf.Bytes(), s[i].raw})
		}
	}

	workers := runtime.GOMAXPROCS(0)
	tallies := make([]tally, workers)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for id := range workers {
		wg.Go(func() {
			// One encoder per worker, as in the store: SpeedFastest, no
			// goroutines of its own.
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
			if err != nil {
				errs[id] = err
				return
			}
			zr := new(gzip.Reader)
			var plain bytes.Buffer
			var dst []byte
			t := &tallies[id]
			// Workers start at different batches so that they do not all
			// chew on the one large snapshot at once.
			for i := id * len(bodies) / workers; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				b := bodies[i%len(bodies)]
				if err := zr.Reset(bytes.NewReader(b.gz)); err != nil {
					errs[id] = err
					return
				}
				plain.Reset()
				if _, err := io.Copy(&plain, zr); err != nil {
					errs[id] = err
					return
				}
				dst = enc.EncodeAll(plain.Bytes(), dst[:0])
				t.accepted++
				t.raw += int64(b.raw)
				t.wire += int64(len(b.gz))
			}
		})
	}
	wg.Wait()
	res := Result{Mode: "bare", Target: "gunzip + zstd SpeedFastest in process", Workers: workers, Elapsed: time.Since(start), Workload: w.String()}
	for _, t := range tallies {
		res.add(t)
	}
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, ctx.Err()
}
