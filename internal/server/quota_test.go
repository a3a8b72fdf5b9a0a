package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// setQuota gives the project its quota, as the settings page does.
func setQuota(t *testing.T, data string, p store.Project, q store.Quota) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err = st.ProjectByID(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.Quota = q
	if err := st.UpdateProject(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// sendSeq posts one batch of one event and answers the status, the
// Retry-After and the error code, if any.
func sendSeq(t *testing.T, base, key, session string, seq int) (status int, retry, code string) {
	t.Helper()
	raw, _ := json.Marshal(body{key, session, "w", seq, oneEvent()})
	resp, out := postRaw(t, base, raw)
	if resp.StatusCode >= 400 {
		code = errorCode(t, out)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), code
}

func TestQuotaBatchesPerMinute(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	other := createProject(t, data)
	setQuota(t, data, p, store.Quota{BatchesPerMinute: 3})

	for seq := range 5 {
		status, retry, code := sendSeq(t, base, p.Key, "s", seq)
		switch {
		case seq < 3 && status != http.StatusAccepted:
			t.Fatalf("batch %d of a quota of 3 a minute: %d %s", seq, status, code)
		case seq >= 3:
			if status != http.StatusTooManyRequests || code != "quota_exceeded" {
				t.Fatalf("batch %d over a quota of 3 a minute: %d %s", seq, status, code)
			}
			// One batch frees every 20 s.
			if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 20 {
				t.Errorf("Retry-After %q, want 1–20 s", retry)
			}
		}
	}
	// Another project's quota is its own.
	if status, _, code := sendSeq(t, base, other, "s", 0); status != http.StatusAccepted {
		t.Errorf("another project: %d %s", status, code)
	}
	// Only what was accepted is stored.
	s := waitSession(t, base, p.ID, "s", 3)
	if len(s.Windows) != 1 || s.Windows[0].Events != 3 {
		t.Errorf("stored: %+v, want the 3 accepted events", s.Windows)
	}
	resp, err := servertest.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `playhead_ingest_rejections_total{code="quota_exceeded"} 2`; !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

func TestQuotaBytesPerDaySurvivesRestart(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Data = "127.0.0.1:0", t.TempDir()
	servertest.AddOwner(t, cfg.Data)
	p := newProject(t, cfg.Data)
	// A batch of one event is about 120 bytes of JSON: room for three.
	raw, _ := json.Marshal(body{p.Key, "s", "w", 0, oneEvent()})
	setQuota(t, cfg.Data, p, store.Quota{BytesPerDay: int64(3*len(raw) + len(raw)/2)})

	base, stop := runServer(t, cfg)
	seq := 0
	for ; seq < 3; seq++ {
		if status, _, code := sendSeq(t, base, p.Key, "s", seq); status != http.StatusAccepted {
			t.Fatalf("batch %d within the day's bytes: %d %s", seq, status, code)
		}
	}
	checkDayRefused := func(when string) {
		t.Helper()
		status, retry, code := sendSeq(t, base, p.Key, "s", seq)
		if status != http.StatusTooManyRequests || code != "quota_exceeded" {
			t.Fatalf("%s: a batch over the day's bytes: %d %s", when, status, code)
		}
		now := time.Now().UTC()
		midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
		n, err := strconv.Atoi(retry)
		if want := midnight.Sub(now).Seconds(); err != nil || float64(n) < want-30 || float64(n) > want+30 {
			t.Errorf("%s: Retry-After %q, want the %.0f s until midnight UTC", when, retry, want)
		}
	}
	checkDayRefused("first run")
	stop()

	base, stop = runServer(t, cfg)
	checkDayRefused("after a restart")
	stop()

	// Only what was accepted is stored.
	st, err := sqlite.Open(context.Background(), cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stats, err := st.LogStats(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Batches != 3 {
		t.Errorf("the log holds %d batches, want the 3 accepted", stats.Batches)
	}
}
