package loadgen

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
)

// start runs the whole service with a project of its own, and returns its
// base URL and the project's key.
func start(t *testing.T) (base, key string) {
	t.Helper()
	base, data := servertest.Start(t, func(c *server.Config) {
		// Every simulated visitor comes from 127.0.0.1: the
		// per-address limit would measure itself.
		c.Ingest.RateClient.Per = 0
	})
	return base, servertest.CreateProject(t, data)
}

func TestRun(t *testing.T) {
	base, key := start(t)
	var out strings.Builder
	res, err := Run(context.Background(), Config{
		URL: base, Key: key, Concurrency: 8, Duration: time.Second, BatchBytes: 20_000,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s%s", &out, res)
	if res.Batches == 0 || res.Sessions == 0 || res.RawBytes == 0 {
		t.Fatalf("nothing accepted: %+v", res)
	}
	if res.Errors != 0 || len(res.Rejected) != 0 {
		t.Fatalf("%d errors (first %q), rejected %v (first %q)", res.Errors, res.FirstError, res.Rejected, res.FirstRejection)
	}
	if res.Latency.N != int(res.Batches) || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Errorf("latency = %+v for %d batches", res.Latency, res.Batches)
	}

	// The processor indexes the log behind ingest: wait for every session
	// that was started (the list is capped, so at most that many).
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		servertest.GetJSON(t, base+"/api/v1/sessions?limit=500", &list)
		if int64(len(list.Sessions)) >= min(res.Sessions, 500) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions listed, want %d", len(list.Sessions), res.Sessions)
		}
	}
	for _, s := range list.Sessions {
		if !strings.HasPrefix(s.ID, "lg") {
			t.Errorf("session %q was not sent by the load generator", s.ID)
		}
	}
}

func TestRunCountsRejections(t *testing.T) {
	base, _ := start(t)
	res, err := Run(context.Background(), Config{
		URL: base, Key: "no-such-key", Concurrency: 2, Duration: 200 * time.Millisecond, BatchBytes: 20_000,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches != 0 || res.Rejected[http.StatusUnauthorized] == 0 || !strings.Contains(res.FirstRejection, "unknown_key") {
		t.Fatalf("unknown key: accepted %d, rejected %v (first %q)", res.Batches, res.Rejected, res.FirstRejection)
	}
}

func TestBare(t *testing.T) {
	res, err := Bare(context.Background(), Config{Duration: 200 * time.Millisecond, BatchBytes: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches == 0 || res.RawBytes == 0 || res.BatchesPerSecond() <= 0 {
		t.Fatalf("bare = %+v", res)
	}
}
