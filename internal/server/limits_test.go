package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store/sqlite"
)

func oneEvent() []json.RawMessage {
	return []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"type":3,"data":{"source":1},"timestamp":%d}`, time.Now().UnixMilli()))}
}

// errorCode reads the code of an error answer.
func errorCode(t *testing.T, out string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an error answer: %s", out)
	}
	return e.Error.Code
}

func postRaw(t *testing.T, base string, body []byte) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/ingest", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func TestBodyTooLarge(t *testing.T) {
	base, data := start(t, func(c *server.Config) { c.Ingest.MaxBody = 4096 })
	key := createProject(t, data)
	big := body{key, "s", "w", 0, []json.RawMessage{json.RawMessage(`{"type":5,"data":{"pad":"` + strings.Repeat("x", 5000) + `"},"timestamp":` + fmt.Sprint(time.Now().UnixMilli()) + `}`)}}
	status, out := post(t, base, big, false)
	if status != http.StatusRequestEntityTooLarge || errorCode(t, out) != "body_too_large" {
		t.Fatalf("5 KB body with a 4 KB limit: %d %s", status, out)
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		base, data := start(t, func(c *server.Config) { c.Ingest.RateClient = ingestRate(1, 3) })
		key := createProject(t, data)
		codes := map[int]int{}
		var retry string
		for seq := range 6 {
			b, _ := json.Marshal(body{key, "s", "w", seq, oneEvent()})
			resp, out := postRaw(t, base, b)
			codes[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests {
				retry = resp.Header.Get("Retry-After")
				if errorCode(t, out) != "rate_limited" {
					t.Errorf("429 body: %s", out)
				}
			}
		}
		if codes[202] != 3 || codes[429] != 3 || retry == "" {
			t.Errorf("6 quick requests with a burst of 3: %v, Retry-After %q", codes, retry)
		}
	})
	t.Run("per address behind a trusted proxy", func(t *testing.T) {
		base, data := start(t, func(c *server.Config) {
			c.Ingest.RateClient = ingestRate(1, 2)
			c.Ingest.Proxies, _ = ingest.ParseProxies("127.0.0.1")
		})
		key := createProject(t, data)
		codes := map[string]map[int]int{}
		for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
			codes[client] = map[int]int{}
			for seq := range 3 {
				status, _ := post(t, base, body{key, "s" + strings.ReplaceAll(client, ".", "-"), "w", seq, oneEvent()}, false, "X-Forwarded-For", client)
				codes[client][status]++
			}
		}
		for client, c := range codes {
			if c[202] != 2 || c[429] != 1 {
				t.Errorf("%s, 3 requests with a burst of 2: %v", client, c)
			}
		}
	})
	t.Run("per project", func(t *testing.T) {
		base, data := start(t, func(c *server.Config) { c.Ingest.RateProject = ingestRate(1, 2) })
		busy, calm := createProject(t, data), createProject(t, data)
		codes := map[int]int{}
		for seq := range 4 {
			status, _ := post(t, base, body{busy, "s", "w", seq, oneEvent()}, false)
			codes[status]++
		}
		if codes[202] != 2 || codes[429] != 2 {
			t.Errorf("4 batches with a burst of 2: %v", codes)
		}
		if status, out := post(t, base, body{calm, "s2", "w", 0, oneEvent()}, false); status != http.StatusAccepted {
			t.Errorf("another project is limited too: %d %s", status, out)
		}
	})
}

func TestBackPressure(t *testing.T) {
	// A queue of one byte is always full: every batch is turned away,
	// with a hint to come back, and nothing is stored.
	base, data := start(t, func(c *server.Config) { c.MaxQueued = 1 })
	project := newProject(t, data)
	b, _ := json.Marshal(body{project.Key, "s", "w", 0, oneEvent()})
	resp, out := postRaw(t, base, b)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || errorCode(t, out) != "overloaded" {
		t.Fatalf("full queue: %d %v %s", resp.StatusCode, resp.Header, out)
	}
	if status := getJSON(t, sessionURL(base, project.ID, "s")+"/events", nil); status != http.StatusNotFound {
		t.Errorf("a refused batch was stored: events answer %d", status)
	}
}

func TestSlowBody(t *testing.T) {
	base, data := start(t, func(c *server.Config) { c.Ingest.ReadTimeout = 300 * time.Millisecond })
	key := createProject(t, data)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, _ := json.Marshal(body{key, "s", "w", 0, oneEvent()})
	fmt.Fprintf(conn, "POST /api/v1/ingest HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", strings.TrimPrefix(base, "http://"), len(b))
	conn.Write(b[:10]) // and then nothing
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || errorCode(t, string(out)) != "body_timeout" {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, out)
	}
}

func TestDisabledProject(t *testing.T) {
	base, data := start(t)
	key := createProject(t, data)
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	err = st.SetProjectEnabled(context.Background(), key, false)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The ingest caches projects for a few seconds; a new key is looked
	// up fresh.
	status, out := post(t, base, body{key, "s", "w", 0, oneEvent()}, false)
	if status != http.StatusForbidden || errorCode(t, out) != "project_disabled" {
		t.Fatalf("disabled project: %d %s", status, out)
	}
}

func TestOperability(t *testing.T) {
	base, data := start(t)
	key := createProject(t, data)
	post(t, base, body{key, "s", "w", 0, oneEvent()}, false)
	post(t, base, body{"nope", "s", "w", 0, oneEvent()}, false)
	resp, err := servertest.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`playhead_ingest_batches_total{result="accepted"} 1`,
		`playhead_ingest_rejections_total{code="unknown_key"} 1`,
		`playhead_ingest_request_seconds_bucket`,
		`playhead_log_commit_batches_bucket`,
		`playhead_log_queue_bytes 0`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	resp, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on answers")
	}
}
