package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// compactNow makes the server compact every window at once and look for
// work all the time, so that a kill at any moment lands in compaction.
var compactNow = []string{"PLAYHEAD_COMPACT_QUIET=1ms", "PLAYHEAD_COMPACT_EVERY=5ms"}

// TestCrashCompaction kills `playhead serve` with SIGKILL, round after
// round, while it ingests batches and compacts them into chunks without
// pause; then it checks through the API that every acknowledged batch
// reads back once and in order, from chunks and log, that retries of
// compacted batches are answered 200 or 409 as before, that each window's
// chunks cover its batches without gap or overlap, and that the sessions
// index rebuilt from a compacted log is the same.
func TestCrashCompaction(t *testing.T) {
	began := time.Now()
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	bin := crashBuild(t)
	data := t.TempDir()
	projects := []crashProjectRef{crashProject(t, bin, data, "crash"), crashProject(t, bin, data, "rival")}
	workers := make([]*crashWorker, 16)
	for g := range workers {
		workers[g] = newCrashWorker(g, began, projects[g%len(projects)])
	}
	const rounds = 6
	for round := range rounds {
		srv := crashServe(t, bin, data, fmt.Sprintf("round %d", round), compactNow...)
		delay := crashMinDelay + time.Duration(rng.Int64N(int64(crashMaxDelay-crashMinDelay)))
		st := crashLoad(t, srv, workers, delay, false)
		t.Logf("round %d: killed after %v: %d batches acknowledged, %d chunk files", round, delay, st.acked, chunkFiles(t, data))
	}

	srv := crashServe(t, bin, data, "verification", compactNow...)
	crashVerify(t, srv.base, workers)
	if t.Failed() {
		t.FailNow()
	}
	for _, w := range workers {
		for _, win := range w.windows {
			if win.acked == 0 {
				continue
			}
			checkChunks(t, srv.base, win)
			for _, seq := range []int{0, win.acked - 1} {
				if status, body, err := win.post(http.DefaultClient, srv.base, seq, win.batch(seq)); err != nil || status != http.StatusOK {
					t.Errorf("resending batch %d of %s/%s: %d %q %v; want 200", seq, win.session, win.id, status, body, err)
				}
				if status, body, err := win.post(http.DefaultClient, srv.base, seq, win.batch(seq+1)); err != nil || status != http.StatusConflict {
					t.Errorf("other events as batch %d of %s/%s: %d %q %v; want 409", seq, win.session, win.id, status, body, err)
				}
			}
		}
	}
	crashVerify(t, srv.base, workers)
	before := indexedEvents(t, srv.base, projects, workers)
	srv.stop(t)

	// The index is rebuilt from the log, whose batches are mostly in
	// chunks by now.
	for _, f := range []string{"index.db", "index.db-wal", "index.db-shm"} {
		os.Remove(filepath.Join(data, f))
	}
	srv = crashServe(t, bin, data, "rebuild")
	after := indexedEvents(t, srv.base, projects, workers)
	if after != before {
		t.Errorf("the rebuilt index lists %s, it listed %s", after, before)
	}
	crashVerify(t, srv.base, workers)
	srv.stop(t)
	t.Logf("%d chunk files; took %v", chunkFiles(t, data), time.Since(began).Round(time.Millisecond))
}

func chunkFiles(t *testing.T, data string) int {
	n := 0
	filepath.WalkDir(filepath.Join(data, "recordings"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".zst") {
			n++
		}
		return nil
	})
	return n
}

// checkChunks fails the test unless the window's chunk index covers its
// batches in order: each chunk starts at or just after the last seq of the
// one before, and the pending batches follow.
func checkChunks(t *testing.T, base string, win *crashWindow) {
	t.Helper()
	var index struct {
		Chunks []struct {
			Pending  bool `json:"pending"`
			FirstSeq int  `json:"first_seq"`
			LastSeq  int  `json:"last_seq"`
		}
	}
	resp, err := crashGet(base + "/api/v1/projects/" + win.project.id + "/sessions/" + win.session + "/chunks?window=" + win.id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&index); err != nil {
		t.Fatal(err)
	}
	next := 0
	for i, c := range index.Chunks {
		// A chunk cut inside a batch shares that seq with the next one.
		if c.FirstSeq != next && c.FirstSeq != next-1 || c.LastSeq < c.FirstSeq || i > 0 && c.FirstSeq < index.Chunks[i-1].LastSeq {
			t.Errorf("%s/%s: chunk %d covers seqs %d to %d after %d: %+v", win.session, win.id, i, c.FirstSeq, c.LastSeq, next-1, index.Chunks)
			return
		}
		next = c.LastSeq + 1
	}
	if next < win.acked {
		t.Errorf("%s/%s: the chunk index ends at seq %d, %d batches were acknowledged", win.session, win.id, next-1, win.acked)
	}
}

// indexedEvents waits until the sessions index has taken in every window's
// acknowledged events and returns what it lists, per window.
func indexedEvents(t *testing.T, base string, projects []crashProjectRef, workers []*crashWorker) string {
	t.Helper()
	want := 0
	for _, w := range workers {
		for _, win := range w.windows {
			for seq := range win.acked {
				want += len(win.batch(seq))
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var lines []string
		total := 0
		for _, p := range projects {
			var list struct {
				Sessions []struct {
					ID      string
					Windows []struct {
						ID     string
						Events int
					}
				}
			}
			resp, err := crashGet(base + "/api/v1/projects/" + p.id + "/sessions?limit=500")
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list.Sessions {
				for _, w := range s.Windows {
					lines = append(lines, fmt.Sprintf("%s %s/%s %d", p.id, s.ID, w.ID, w.Events))
					total += w.Events
				}
			}
		}
		// The batches cut off by the last kill may be stored too: the
		// listing is read once the index holds all the log has.
		if total >= want && processorCaughtUp(t, base) {
			return strings.Join(lines, ", ")
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index lists %d events, %d were acknowledged", total, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processorCaughtUp says whether the server's processor has folded every
// batch of its log into the index (playhead_process_lag_batches).
func processorCaughtUp(t *testing.T, base string) bool {
	t.Helper()
	resp, err := crashGet(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("read the metrics: %d %v", resp.StatusCode, err)
	}
	for line := range strings.Lines(string(body)) {
		if lag, ok := strings.CutPrefix(strings.TrimSpace(line), "playhead_process_lag_batches "); ok {
			return lag == "0"
		}
	}
	t.Fatal("the metrics have no playhead_process_lag_batches")
	return false
}
