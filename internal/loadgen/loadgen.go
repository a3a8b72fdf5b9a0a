// Package loadgen measures how many recordings a Playhead server can take
// in: simulated visitors post realistic gzip'd rrweb batches to the ingest
// endpoint as fast as it answers. Bare measures the ceiling any ingest
// path is compared to: the gunzip and zstd that storing a batch needs,
// with nothing else, on every core.
package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Config is what a run is told.
type Config struct {
	URL         string        // the server's base URL, like http://127.0.0.1:8080
	Key         string        // a project's ingest key
	Concurrency int           // simulated visitors, each posting one batch at a time
	Duration    time.Duration // how long to send
	BatchBytes  int           // target size of a batch's event JSON, uncompressed
	Corpus      string        // folder of more recordings (*/*.events.json) besides the built-in ones; "" for none
	ServerPID   int           // if not 0, the server process whose memory to report
}

// requestTimeout bounds one request, so that a stuck server ends the run.
// It is above the server's own write timeout.
const requestTimeout = 90 * time.Second

// Run posts batches to cfg.URL from cfg.Concurrency workers for
// cfg.Duration, one shared client, no retries. out gets a line about the
// run before it starts and warnings. If ctx ends early, the result so far
// is returned with ctx's error.
func Run(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if cfg.Concurrency < 1 {
		return Result{}, errors.New("loadgen: Concurrency must be at least 1")
	}
	w, err := newWorkload(cfg.Corpus, cfg.BatchBytes, time.Now())
	if err != nil {
		return Result{}, err
	}
	keyJSON, err := json.Marshal(cfg.Key)
	if err != nil {
		return Result{}, err
	}
	endpoint := strings.TrimSuffix(cfg.URL, "/") + "/api/v1/ingest"
	client := &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			// Loopback benchmarks must not go through a proxy from the
			// environment.
			Proxy:       nil,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			// One kept-alive connection per worker: a worker never waits
			// for a free one, and none is closed and redialled.
			MaxIdleConns:        cfg.Concurrency,
			MaxIdleConnsPerHost: cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()

	run, err := runID()
	if err != nil {
		return Result{}, err
	}
	fmt.Fprintf(out, "loadgen: %d workers posting to %s for %s, sessions %s-*\n", cfg.Concurrency, endpoint, cfg.Duration, run)
	tallies := make([]tally, cfg.Concurrency)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range tallies {
		wk := &worker{id: i, run: run, endpoint: endpoint, keyJSON: keyJSON, client: client, load: w}
		wg.Go(func() { wk.loop(ctx, deadline, &tallies[i]) })
	}
	wg.Wait()

	res := Result{Mode: "http", Target: endpoint, Workers: cfg.Concurrency, Elapsed: time.Since(start), Workload: w.String()}
	var latencies []time.Duration
	for _, t := range tallies {
		res.add(t)
		latencies = append(latencies, t.latencies...)
	}
	res.Latency = percentiles(latencies)
	if cfg.ServerPID != 0 {
		res.ServerPID = cfg.ServerPID
		if res.ServerPeakRSS, res.ServerRSS, err = memory(cfg.ServerPID); err != nil {
			fmt.Fprintf(out, "loadgen: the server's memory is not known: %v\n", err)
		}
	}
	return res, ctx.Err()
}

// runID makes this run's sessions unique, so that a second run against the
// same data folder is not answered as a repeat.
func runID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "lg" + hex.EncodeToString(b), nil
}

// tally is one worker's counts; workers share nothing while running.
type tally struct {
	accepted, sessions, raw, wire int64
	rejected                      map[int]int64
	firstRejection                string
	errors                        int64
	firstError                    string
	latencies                     []time.Duration // of every answer, 2xx or not
}

type worker struct {
	id       int
	run      string
	endpoint string
	keyJSON  []byte
	client   *http.Client
	load     *workload
}

// loop plays sessions one after another, each a new session id, until the
// deadline. Scripts rotate so that workers do not all send the heavy ones
// at the same moment.
func (wk *worker) loop(ctx context.Context, deadline time.Time, t *tally) {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: cannot fail
	buf := new(bytes.Buffer)
	for n := 0; ; n++ {
		s := wk.load.sessions[(wk.id+n)%len(wk.load.sessions)]
		session := fmt.Sprintf("%s-%d-%d", wk.run, wk.id, n)
		for i := range s {
			if ctx.Err() != nil || !time.Now().Before(deadline) {
				return
			}
			if err := s[i].body(buf, zw, wk.keyJSON, session, session+"-w"); err != nil {
				t.failed(err)
				continue
			}
			status, reply, latency, err := wk.post(ctx, buf.Bytes())
			switch {
			case err != nil && ctx.Err() != nil:
				return // interrupted, not the server's fault
			case err != nil:
				t.failed(err)
				// The transport may still be reading the old body.
				buf = new(bytes.Buffer)
				continue
			}
			t.latencies = append(t.latencies, latency)
			if status/100 != 2 {
				if t.rejected == nil {
					t.rejected = map[int]int64{}
				}
				t.rejected[status]++
				if t.firstRejection == "" {
					t.firstRejection = fmt.Sprintf("%d %s", status, bytes.TrimSpace(reply))
				}
				continue
			}
			t.accepted++
			t.raw += int64(s[i].raw)
			t.wire += int64(buf.Len())
			if i == 0 {
				t.sessions++
			}
		}
	}
}

func (t *tally) failed(err error) {
	t.errors++
	if t.firstError == "" {
		t.firstError = err.Error()
	}
}

// post sends one body and reads the whole answer, so that the connection
// is reused. latency runs from sending to the end of the answer.
func (wk *worker) post(ctx context.Context, body []byte) (status int, reply []byte, latency time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wk.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	start := time.Now()
	resp, err := wk.client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	reply, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, reply, time.Since(start), err
}

// percentiles are exact: every latency is kept, and a run of seconds
// yields at most a few hundred thousand.
func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		// Nearest rank: the smallest sample with at least q of all at or below it.
		return d[int(math.Ceil(q*float64(len(d))))-1]
	}
	return Latency{N: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: d[len(d)-1]}
}
