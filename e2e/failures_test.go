// The failure tests hold the real binary to what docs/api.md promises when
// things go wrong: a full disk is answered 503 with its reason and passes
// without a restart, losing nothing acknowledged; a data folder serves one
// server at a time.

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDiskFull runs `playhead serve` on a small tmpfs, fills it, checks
// the answers while it is full, grows it and checks that ingest works
// again by itself and that every acknowledged batch is stored once.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestDiskFull mounts a tmpfs and must run as root (CI does); run it with sudo")
	}
	bin := crashBuild(t)
	data := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v\n%s", data, err, out)
	}
	// Registered first, so it runs after the server is stopped.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", data).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", data, err, out)
		}
	})
	project := crashProject(t, bin, data, "full")
	srv := crashServe(t, bin, data, "disk full")
	client := &http.Client{Timeout: 30 * time.Second}
	win := &crashWindow{project: project, session: "full-s", id: "full-w", href: "http://shop.example/full", start: time.Now().UnixMilli()}
	send := func() (int, http.Header, string) {
		t.Helper()
		status, header, body := diskPost(t, client, srv.base, win)
		switch status {
		case http.StatusAccepted:
			win.acked++
		case http.StatusOK:
			t.Fatalf("batch %d, never stored before, was answered 200 (duplicate): %s", win.acked, body)
		}
		return status, header, body
	}

	for range 20 {
		if status, _, body := send(); status != http.StatusAccepted {
			t.Fatalf("batch %d with room to spare: status %d: %s", win.acked, status, body)
		}
	}
	before := win.acked

	// Fill what is left with a file, then send until the WAL can grow no
	// more: SQLite reuses what its files already hold first.
	fillDisk(t, filepath.Join(data, "filler"))
	status, header, body := 0, http.Header(nil), ""
	for range 5000 {
		if status, header, body = send(); status != http.StatusAccepted {
			break
		}
	}
	during := win.acked - before
	if status != http.StatusServiceUnavailable {
		t.Fatalf("on a full disk, batch %d: status %d, want 503: %s", win.acked, status, body)
	}
	var answer struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.Error.Code != "disk_full" {
		t.Errorf("on a full disk the answer is %s; want the error code disk_full", body)
	}
	if s, err := strconv.Atoi(header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("on a full disk Retry-After is %q; want seconds", header.Get("Retry-After"))
	}
	refused := 1
	for range 20 {
		if status, _, body := send(); status != http.StatusServiceUnavailable {
			t.Fatalf("disk still full, batch %d: status %d, want 503: %s", win.acked, status, body)
		}
		refused++
	}
	status, ready := diskGet(t, srv.base+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(ready, "writes failing:") || !strings.Contains(ready, "disk_full") {
		t.Errorf("/readyz on a full disk: %d %q; want 503 saying writes fail as the disk is full", status, ready)
	}

	// Space returns: the same server takes batches again.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", data).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v\n%s", err, out)
	}
	// Ready again without a batch to try a commit: a load balancer that
	// took the server out of rotation sends none.
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body := diskGet(t, srv.base+"/readyz")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60s after the disk grew, /readyz still answers %d %q", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for range 20 {
		if status, _, body := send(); status != http.StatusAccepted {
			t.Fatalf("after the disk grew, batch %d: status %d: %s", win.acked, status, body)
		}
	}
	// The processor, which failed to write index.db meanwhile, catches up
	// and the server becomes ready again.
	deadline = time.Now().Add(90 * time.Second)
	for {
		status, body := diskGet(t, srv.base+"/readyz")
		events := diskIndexed(t, srv.base, win)
		if status == http.StatusOK && events == 2+3*(win.acked-1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("90s after the disk grew: /readyz %d %q; the index counts %d events of %d", status, body, events, 2+3*(win.acked-1))
		}
		time.Sleep(200 * time.Millisecond)
	}
	crashCheck(t, srv.base, win)
	if _, metrics := diskGet(t, srv.base+"/metrics"); !strings.Contains(metrics, "\nplayhead_process_lag_batches 0\n") ||
		!strings.Contains(metrics, "\nplayhead_process_lag_seconds 0\n") || !strings.Contains(metrics, "\nplayhead_process_failing 0\n") {
		t.Errorf("/metrics once caught up: want playhead_process_lag_batches, _lag_seconds and _failing at 0")
	}
	srv.stop(t)
	log := srv.log.String()
	if n := strings.Count(log, "writes to the data folder fail"); n != 1 {
		t.Errorf("the full disk was logged %d times for %d refused batches, want once:\n%s", n, refused, log)
	}
	if !strings.Contains(log, "writes to the data folder work again") {
		t.Errorf("no line says that writes work again:\n%s", log)
	}
	t.Logf("/readyz on the full disk: %s", ready)
	t.Logf("%d batches stored before the disk filled, %d while it filled, %d refused with 503 disk_full, %d after it grew: each stored once",
		before, during, refused, win.acked-before-during)
}

// TestOneServerPerDataFolder: a second server on the same data folder
// refuses to start and says why; projects can still be made beside the
// running one; a killed server's lock does not outlive it.
func TestOneServerPerDataFolder(t *testing.T) {
	bin := crashBuild(t)
	data := t.TempDir()
	crashProject(t, bin, data, "first")
	first := crashServe(t, bin, data, "first")

	var stderr bytes.Buffer
	second := exec.Command(bin, "serve", "--addr", crashFreeAddr(t), "--data", data)
	second.Stderr = &stderr
	done := make(chan error, 1)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("a second server on the same data folder exited with %v; want a non-zero exit", err)
		}
	case <-time.After(30 * time.Second):
		second.Process.Kill()
		<-done
		t.Fatalf("a second server on the same data folder was still running after 30s\n%s", &stderr)
	}
	abs, _ := filepath.Abs(data)
	if msg := stderr.String(); !strings.Contains(msg, "another playhead server is running") || !strings.Contains(msg, abs) {
		t.Errorf("the second server said %q; want it to name the data folder %s and the server holding it", msg, abs)
	}

	crashProject(t, bin, data, "second") // beside the running server
	first.kill(t)
	crashServe(t, bin, data, "after the kill").stop(t)
}

// diskPost sends the window's next batch and returns the answer.
func diskPost(t *testing.T, client *http.Client, base string, win *crashWindow) (int, http.Header, string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"key": win.project.key, "session": win.session, "window": win.id, "seq": win.acked, "events": win.batch(win.acked),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(base+"/api/v1/ingest", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("batch %d: %v", win.acked, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, strings.TrimSpace(string(answer))
}

func diskGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := crashGet(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// diskIndexed returns how many events the sessions index counts in the
// window, 0 before it lists it.
func diskIndexed(t *testing.T, base string, win *crashWindow) int {
	t.Helper()
	status, body := diskGet(t, base+"/api/v1/projects/"+win.project.id+"/sessions/"+win.session)
	if status != http.StatusOK {
		return 0
	}
	var s struct {
		Windows []struct {
			ID     string
			Events int
		}
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("session %s: %v: %s", win.session, err, body)
	}
	for _, w := range s.Windows {
		if w.ID == win.id {
			return w.Events
		}
	}
	return 0
}

// fillDisk writes zeros to path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			break
		}
	}
	// The last pages too, down to the byte.
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
}
