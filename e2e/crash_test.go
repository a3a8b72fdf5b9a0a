// The crash test holds the ingest durability contract of docs/api.md to
// the real binary: a batch answered 2xx survives the server being killed
// at any moment, and a batch sent again is answered 200 and stored once.

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	crashRounds  = 8
	crashWorkers = 32
	// crashTabs is how many windows each worker's session has: two tabs
	// number their batches from 0 each, so equal seqs must not collide.
	crashTabs     = 2
	crashMinDelay = 100 * time.Millisecond
	crashMaxDelay = 600 * time.Millisecond
)

// TestCrashIngestDurability sends batches from many clients to `playhead
// serve`, kills it with SIGKILL mid-load, restarts it on the same data
// folder, and so on for several rounds; then it checks through the API
// that every window holds exactly its acknowledged batches, in order.
// The clients belong to two projects and use the same session and window
// ids in both: neither project's batches may land in the other's.
//
// SIGKILL leaves the kernel's page cache intact, so this proves that no
// answer precedes its commit, not that the commit reached the disk: that
// part rests on synchronous=FULL.
func TestCrashIngestDurability(t *testing.T) {
	began := time.Now()
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	bin := crashBuild(t)
	t.Logf("built ./cmd/playhead in %v", time.Since(began).Round(time.Millisecond))
	data := t.TempDir()
	projects := []crashProjectRef{crashProject(t, bin, data, "crash"), crashProject(t, bin, data, "rival")}

	workers := make([]*crashWorker, crashWorkers)
	for g := range workers {
		workers[g] = newCrashWorker(g, began, projects[g%len(projects)])
	}
	acked := 0
	for round := range crashRounds {
		srv := crashServe(t, bin, data, fmt.Sprintf("round %d", round))
		delay := crashMinDelay + time.Duration(rng.Int64N(int64(crashMaxDelay-crashMinDelay)))
		// The last round ends with SIGTERM instead: a graceful stop
		// under load must finish what it acknowledged and exit cleanly.
		graceful := round == crashRounds-1
		st := crashLoad(t, srv, workers, delay, graceful)
		acked += st.acked
		how := "killed"
		if graceful {
			how = "stopped with SIGTERM"
		}
		t.Logf("round %d: %s after %v: %d batches acknowledged (of them %d retries of batches cut off by the previous kill: %d had been stored, answered 200; %d had not, answered 202); %d requests in flight at the kill",
			round, how, delay, st.acked, st.retriedStored+st.retriedLost, st.retriedStored, st.retriedLost, st.inFlight)
	}

	srv := crashServe(t, bin, data, "verification")
	stored, cutOff := crashVerify(t, srv.base, workers)
	if t.Failed() {
		// The resends below would store lost batches again.
		t.FailNow()
	}
	// Sending each window's last acknowledged batch again must change
	// nothing; nor may other events under its seq, which are refused.
	for _, w := range workers {
		for _, win := range w.windows {
			if win.acked == 0 {
				continue
			}
			seq := win.acked - 1
			status, body, err := win.post(http.DefaultClient, srv.base, seq, win.batch(seq))
			if err != nil || status != http.StatusOK {
				t.Errorf("resending acknowledged batch %d of %s/%s: status %d, body %q, err %v; want 200 (duplicate)",
					seq, win.session, win.id, status, body, err)
			}
			status, body, err = win.post(http.DefaultClient, srv.base, seq, win.batch(seq+1))
			if err != nil || status != http.StatusConflict || !strings.Contains(body, `"seq_conflict"`) {
				t.Errorf("other events as batch %d of %s/%s: status %d, body %q, err %v; want 409 seq_conflict",
					seq, win.session, win.id, status, body, err)
			}
		}
	}
	crashVerify(t, srv.base, workers)
	srv.stop(t)
	if t.Failed() {
		return
	}
	t.Logf("all %d acknowledged batches of %d windows are stored once and in order; %d of the %d batches cut off by the last kill were stored too; took %v",
		acked, crashWorkers*crashTabs, stored, cutOff, time.Since(began).Round(time.Millisecond))
}

// crashVerify checks every window's stored events. cutOff counts the
// windows whose last batch was cut off by the last kill; stored, those of
// them that stored it anyway.
func crashVerify(t *testing.T, base string, workers []*crashWorker) (stored, cutOff int) {
	t.Helper()
	for _, w := range workers {
		for _, win := range w.windows {
			if crashCheck(t, base, win) {
				stored++
			}
			if win.tries > 0 {
				cutOff++
			}
		}
	}
	return stored, cutOff
}

// crashSeed returns the seed of the kill delays: PLAYHEAD_CRASH_SEED if
// set, to repeat a run's delays, else a fresh one.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PLAYHEAD_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PLAYHEAD_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (PLAYHEAD_CRASH_SEED=%d repeats the kill delays)", seed, seed)
	return seed
}

// crashBuild builds the real binary, as users run it.
func crashBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "playhead")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		// Reuse the packages this test run compiled already: a cold
		// build of SQLite without -race costs minutes.
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/playhead")...)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/playhead: %v\n%s", err, out)
	}
	return bin
}

// crashProjectRef is a project as the workers know it.
type crashProjectRef struct {
	id  string
	key string
}

// crashProject creates a project in data and returns its id and ingest key.
func crashProject(t *testing.T, bin, data, name string) crashProjectRef {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "project", "create", name, "--data", data)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("playhead project create: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	key := lines[len(lines)-1]
	if key == "" || strings.ContainsAny(key, " \t") {
		t.Fatalf("playhead project create: last line of stdout is %q, want the ingest key alone\nstdout:\n%s", key, &stdout)
	}
	_, id, ok := strings.Cut(stdout.String(), "(id ")
	id, _, _ = strings.Cut(id, ")")
	if _, err := strconv.ParseInt(id, 10, 64); !ok || err != nil {
		t.Fatalf("playhead project create: no project id in\n%s", &stdout)
	}
	return crashProjectRef{id: id, key: key}
}

// crashTokens holds an admin API token for each server's address.
var crashTokens sync.Map

// crashToken creates an admin API token in data with `playhead token
// create`, which prints it alone on its last line.
func crashToken(t *testing.T, bin, data string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "create", "crash test", "--scope", "admin", "--data", data).Output()
	if err != nil {
		t.Fatalf("playhead token create: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	tok := lines[len(lines)-1]
	if !strings.HasPrefix(tok, "pht_") || strings.ContainsAny(tok, " \t") {
		t.Fatalf("playhead token create: last line of stdout is %q, want the token alone", tok)
	}
	return tok
}

// crashGet is http.Get with the admin token of the server at url.
func crashGet(url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if tok, ok := crashTokens.Load(req.URL.Host); ok {
		req.Header.Set("Authorization", "Bearer "+tok.(string))
	}
	return http.DefaultClient.Do(req)
}

// crashServer is one run of `playhead serve`.
type crashServer struct {
	name   string
	base   string
	cmd    *exec.Cmd
	log    bytes.Buffer // its stderr; read only once exited is closed
	exited chan struct{}
	err    error // what Wait returned; set before exited is closed
}

// crashServe starts `playhead serve` on data and waits until it answers,
// with env (NAME=value) added to its environment. Its log is printed if
// the test fails.
func crashServe(t *testing.T, bin, data, name string, env ...string) *crashServer {
	t.Helper()
	addr := crashFreeAddr(t)
	s := &crashServer{name: name, base: "http://" + addr, exited: make(chan struct{})}
	crashTokens.Store(addr, crashToken(t, bin, data))
	// The workers all come from one address but stand for many
	// visitors: the per-address rate limit is not what is tested here.
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", data, "--ingest-rate-ip", "0")
	s.cmd.Stderr = &s.log
	if len(env) > 0 {
		s.cmd.Env = append(os.Environ(), env...)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start the %s server: %v", name, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.kill(t)
		if t.Failed() {
			t.Logf("log of the %s server (%v):\n%s", name, s.err, &s.log)
		}
	})
	s.waitHealthy(t)
	return s
}

// crashFreeAddr finds a loopback port that nothing listens on.
func crashFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (s *crashServer) waitHealthy(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s server did not answer /healthz within 10s: last status %v, err %v", s.name, resp, err)
		}
		select {
		case <-s.exited:
			t.Fatalf("the %s server exited before answering /healthz: %v", s.name, s.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// kill kills the server with SIGKILL, unless it has exited, and waits.
func (s *crashServer) kill(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		return
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill the %s server: %v", s.name, err)
	}
	<-s.exited
}

// stop shuts the server down as Ctrl-C does and expects a clean exit.
func (s *crashServer) stop(t *testing.T) { s.signal(t, os.Interrupt) }

// terminate shuts the server down as a service manager does.
func (s *crashServer) terminate(t *testing.T) { s.signal(t, syscall.SIGTERM) }

func (s *crashServer) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("interrupt the %s server: %v", s.name, err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Fatalf("the %s server did not shut down cleanly on %v: %v\n%s", s.name, sig, s.err, &s.log)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the %s server did not exit within 10s of %v", s.name, sig)
	}
}

// crashStats are one round's figures.
type crashStats struct {
	acked         int // batches answered 2xx
	inFlight      int // requests cut off by the kill
	retriedStored int // batches cut off before, stored anyway: answered 200
	retriedLost   int // batches cut off before, not stored: answered 202
}

// crashLoad runs every worker against srv and kills srv after delay, or
// stops it with SIGTERM when graceful.
func crashLoad(t *testing.T, srv *crashServer, workers []*crashWorker, delay time.Duration, graceful bool) crashStats {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: len(workers)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	killed := make(chan struct{})
	stats := make([]crashStats, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for g, w := range workers {
		wg.Go(func() { stats[g], errs[g] = w.run(client, srv.base, killed) })
	}
	time.Sleep(delay)
	select {
	case <-srv.exited:
		t.Fatalf("the %s server exited by itself under load: %v", srv.name, srv.err)
	default:
	}
	// Closed before the kill, so that a worker whose request fails
	// knows the failure may be the kill's.
	close(killed)
	if graceful {
		srv.terminate(t)
	} else {
		srv.kill(t)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s, before the kill:\n%v", srv.name, err)
	}
	var sum crashStats
	for _, st := range stats {
		sum.acked += st.acked
		sum.inFlight += st.inFlight
		sum.retriedStored += st.retriedStored
		sum.retriedLost += st.retriedLost
	}
	return sum
}

// crashWorker is one client. It alone sends its session's windows, each
// batch after the previous one of its window was answered, as the
// recorder does.
type crashWorker struct {
	windows []*crashWindow
	turn    int // the window that sends next: the tabs take turns
}

// crashWindow is one window and how far its upload got.
type crashWindow struct {
	project     crashProjectRef
	session, id string
	href        string
	start       int64 // timestamp of its first event, ms since the epoch
	acked       int   // batches 0 to acked-1 were answered 2xx
	tries       int   // times batch acked may have reached the server unanswered
}

// Worker g of one project and worker g+1 of the other use the same ids.
func newCrashWorker(g int, began time.Time, project crashProjectRef) *crashWorker {
	w := &crashWorker{}
	session := fmt.Sprintf("crash-s%02d", g/2)
	for tab := range crashTabs {
		w.windows = append(w.windows, &crashWindow{
			project: project,
			session: session,
			id:      fmt.Sprintf("crash-w%02d-%d", g/2, tab),
			href:    fmt.Sprintf("http://shop.example/crash/%d/%d", g, tab),
			start:   began.UnixMilli() + int64(g*crashTabs+tab),
		})
	}
	return w
}

// run sends batches until a request fails after killed is closed: the
// server is under full load when it dies. The batch cut off is sent again
// with the same seq in the next round, as a recorder retries.
func (w *crashWorker) run(client *http.Client, base string, killed <-chan struct{}) (crashStats, error) {
	var st crashStats
	for {
		win := w.windows[w.turn]
		retry := win.tries > 0
		status, body, err := win.post(client, base, win.acked, win.batch(win.acked))
		if err != nil {
			select {
			case <-killed:
			default:
				return st, fmt.Errorf("%s/%s batch %d: %v", win.session, win.id, win.acked, err)
			}
			// A refused connection never reached the server; any other
			// failure may have come after the batch was stored.
			if !errors.Is(err, syscall.ECONNREFUSED) {
				win.tries++
				st.inFlight++
			}
			return st, nil
		}
		switch {
		case status == http.StatusAccepted && retry:
			st.retriedLost++
		case status == http.StatusAccepted:
		case status == http.StatusOK && retry:
			st.retriedStored++
		case status == http.StatusOK:
			return st, fmt.Errorf("%s/%s batch %d, sent for the first time, was answered 200 (duplicate): %s", win.session, win.id, win.acked, body)
		default:
			return st, fmt.Errorf("%s/%s batch %d: status %d: %s", win.session, win.id, win.acked, status, body)
		}
		st.acked++
		win.acked++
		win.tries = 0
		w.turn = (w.turn + 1) % len(w.windows)
	}
}

// post sends events as batch seq of the window and returns the answer.
func (win *crashWindow) post(client *http.Client, base string, seq int, events []crashEvent) (int, string, error) {
	body, err := json.Marshal(map[string]any{
		"key": win.project.key, "session": win.session, "window": win.id, "seq": seq, "events": events,
	})
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Post(base+"/api/v1/ingest", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, strings.TrimSpace(string(answer)), nil
}

type crashEvent struct {
	Type      int            `json:"type"`
	Timestamp int64          `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// crashPage is the serialized DOM of the FullSnapshot.
const crashPage = `{"type":0,"childNodes":[{"type":1,"name":"html","publicId":"","systemId":"","id":2},{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[{"type":2,"tagName":"head","attributes":{},"childNodes":[],"id":4},{"type":2,"tagName":"body","attributes":{},"childNodes":[{"type":2,"tagName":"button","attributes":{"id":"buy"},"childNodes":[{"type":3,"textContent":"Buy","id":7}],"id":6}],"id":5}],"id":3}],"id":1}`

// batch returns the events of batch seq, the same every time it is sent.
// Batch 0 opens the page; later ones move the mouse and click. Each
// event's data says which batch it belongs to and its place in it, and
// timestamps grow with seq, so the window's events read in seq order.
func (win *crashWindow) batch(seq int) []crashEvent {
	ts := win.start + int64(seq)*1000
	tag := func(i int, data map[string]any) map[string]any {
		data["batch"], data["i"] = seq, i
		return data
	}
	if seq == 0 {
		return []crashEvent{
			{4, ts, tag(0, map[string]any{"href": win.href, "width": 1280, "height": 800})},
			{2, ts + 1, tag(1, map[string]any{"node": json.RawMessage(crashPage), "initialOffset": map[string]any{"left": 0, "top": 0}})},
		}
	}
	x, y := 100+seq*7%900, 80+seq*13%600
	return []crashEvent{
		{3, ts, tag(0, map[string]any{"source": 1, "positions": []any{map[string]any{"x": x, "y": y, "id": 5, "timeOffset": -40}}})},
		{3, ts + 100, tag(1, map[string]any{"source": 1, "positions": []any{map[string]any{"x": x + 3, "y": y + 2, "id": 6, "timeOffset": 0}}})},
		{3, ts + 200, tag(2, map[string]any{"source": 2, "type": 2, "id": 6, "x": x + 3, "y": y + 2})},
	}
}

// crashCheck fails the test unless the window's stored events are exactly
// those of its acknowledged batches, in seq order, possibly followed by
// those of the batch cut off by the last kill. It reports whether that
// batch was stored.
func crashCheck(t *testing.T, base string, win *crashWindow) bool {
	t.Helper()
	where := fmt.Sprintf("project %s: %s/%s", win.project.id, win.session, win.id)
	resp, err := crashGet(base + "/api/v1/projects/" + win.project.id + "/sessions/" + win.session + "/events?window=" + win.id)
	if err != nil {
		t.Fatalf("%s: get events: %v", where, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: read events: %v", where, err)
	}
	var got []any
	switch {
	case resp.StatusCode == http.StatusNotFound && win.acked == 0:
		return false
	case resp.StatusCode == http.StatusNotFound:
		t.Errorf("%s: no events stored (404), but batches 0 to %d were acknowledged", where, win.acked-1)
		return false
	case resp.StatusCode != http.StatusOK:
		t.Fatalf("%s: get events: status %d: %s", where, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: events are not a JSON array: %v\n%s", where, err, body)
	}

	var want []crashEvent
	for seq := range win.acked {
		want = append(want, win.batch(seq)...)
	}
	wantJSON := crashDecoded(t, want)
	if slices.EqualFunc(got, wantJSON, reflect.DeepEqual) {
		return false
	}
	if win.tries > 0 && slices.EqualFunc(got, crashDecoded(t, append(want, win.batch(win.acked)...)), reflect.DeepEqual) {
		return true
	}
	k := 0
	for k < len(got) && k < len(wantJSON) && reflect.DeepEqual(got[k], wantJSON[k]) {
		k++
	}
	t.Errorf("%s: %d batches acknowledged, %d cut off by the last kill; stored: %s; first difference at event %d: got %s, want %s",
		where, win.acked, min(win.tries, 1), strings.Join(crashDiagnose(win, got), "; "), k, crashAt(got, k), crashAt(wantJSON, k))
	return false
}

// crashDiagnose says what is wrong with a window's stored events, batch by
// batch, from the tags the events carry.
func crashDiagnose(win *crashWindow, got []any) []string {
	counts := map[int]int{}
	untagged := 0
	for _, e := range got {
		ev, _ := e.(map[string]any)
		data, _ := ev["data"].(map[string]any)
		seq, ok := data["batch"].(float64)
		if !ok {
			untagged++
			continue
		}
		counts[int(seq)]++
	}
	var lost, partial, extra []string
	for seq := range win.acked {
		if counts[seq] == 0 {
			lost = append(lost, strconv.Itoa(seq))
		}
	}
	for _, seq := range slices.Sorted(maps.Keys(counts)) {
		n := counts[seq]
		switch sent := len(win.batch(seq)); {
		case seq > win.acked || seq == win.acked && win.tries == 0:
			extra = append(extra, fmt.Sprintf("%d (%d events)", seq, n))
		case n != sent:
			partial = append(partial, fmt.Sprintf("%d (%d events, %d sent)", seq, n, sent))
		}
	}
	var out []string
	if len(lost) > 0 {
		out = append(out, fmt.Sprintf("acknowledged batches missing: %s", strings.Join(lost, " ")))
	}
	if len(partial) > 0 {
		out = append(out, fmt.Sprintf("batches stored more than once or in part: %s", strings.Join(partial, ", ")))
	}
	if len(extra) > 0 {
		out = append(out, fmt.Sprintf("batches never sent: %s", strings.Join(extra, ", ")))
	}
	if untagged > 0 {
		out = append(out, fmt.Sprintf("%d events not sent by this test", untagged))
	}
	if len(out) == 0 {
		out = append(out, "every batch whole and once, but not in order or not as sent")
	}
	return out
}

// crashAt returns event k as JSON, or "nothing" past the end.
func crashAt(events []any, k int) string {
	if k >= len(events) {
		return "nothing"
	}
	raw, _ := json.Marshal(events[k])
	return string(raw)
}

// crashDecoded returns events as json.Unmarshal reads them, to compare
// with what the API returns.
func crashDecoded(t *testing.T, events []crashEvent) []any {
	t.Helper()
	raw, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
