package erase_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	blobfs "github.com/playhead/playhead/internal/blob/fs"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/erase"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// env is a data folder with the real store, processor, compaction and
// blobs, as the server runs them.
type env struct {
	dir     string
	dicts   *chunk.Reader
	st      *sqlite.Store
	proc    *process.Processor
	compact *process.Compactor
	eraser  *erase.Eraser
	project store.Project
	upto    int64
	seqs    map[string]int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs := blobfs.New(filepath.Join(dir, sqlite.BlobDir))
	proc := &process.Processor{Log: st, Index: st, Events: st, Hold: new(sync.RWMutex)}
	dicts := chunk.NewReader(0)
	eraser := erase.New(st, blobs, proc, nil)
	eraser.Caches = []erase.Cache{dicts}
	return &env{dir: dir, dicts: dicts, st: st, proc: proc, project: p, seqs: map[string]int64{},
		compact: &process.Compactor{Log: st, Blobs: blobs, Dicts: dicts, Quiet: -1, Grace: -1, Hold: proc.Hold},
		eraser:  eraser}
}

// record logs one batch of a session's window at time at (received then
// too, so that the session is dated then): a page load, and the visitor
// identified as user when user is not "".
func (e *env) record(t *testing.T, session, window string, at time.Time, user string) {
	t.Helper()
	ts := at.UnixMilli()
	url := "https://shop.example/" + session + "/page"
	events := []string{
		fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":%q,"width":1200,"height":800}}`, ts, url),
		fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead/page","payload":{"url":%q,"title":"Orders of %s"}}}`, ts+1, url, session),
		fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":1,"x":5,"y":5}}`, ts+500),
	}
	if user != "" {
		events = append(events, fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead/identify","payload":{"user":%q,"traits":{"email":%q}}}}`,
			ts+2, user, user+"@mail.example"))
	}
	raw := []byte("[" + strings.Join(events, ",") + "]")
	hash := sha256.Sum256(raw)
	key := session + "/" + window
	b := &batch.Batch{Project: e.project.ID, Session: session, Window: window, Seq: e.seqs[key], Received: at.Add(time.Second),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36", Events: batch.Compress(raw),
		Count: len(events), First: ts, Last: ts + 500, Hash: hash[:], Pages: []batch.Page{{URL: url, Timestamp: ts, Width: 1200, Height: 800}}}
	e.seqs[key]++
	if _, err := e.st.Append(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// process folds the whole log into the index.
func (e *env) process(t *testing.T) {
	t.Helper()
	for {
		next, n, err := e.proc.Step(context.Background(), e.upto)
		if err != nil {
			t.Fatal(err)
		}
		e.upto = next
		if n == 0 {
			return
		}
	}
}

func (e *env) compactAll(t *testing.T) {
	t.Helper()
	if _, err := e.compact.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// listed tells whether the project's list holds the session.
func (e *env) listed(t *testing.T, q store.SessionFilter, id string) bool {
	t.Helper()
	q.Project = e.project.ID
	res, err := e.st.Search(context.Background(), store.SessionQuery{Filter: q, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sessions {
		if s.Recorded == id {
			return true
		}
	}
	return false
}

// found says which of needles the data folder holds, in any file's bytes
// or any file's or folder's name.
func found(t *testing.T, dir string, needles ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var content []byte
		if !d.IsDir() {
			if content, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		for _, n := range needles {
			if strings.Contains(d.Name(), n) || bytes.Contains(content, []byte(n)) {
				out[n] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEraseSession erases one session, split in parts, with two windows,
// partly compacted and partly in the log: it is gone from the list, search,
// the recordings, a rebuilt index and the files' bytes; the others stay.
func TestEraseSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Now()
	e.record(t, "goner0001", "w1", now.Add(-2*time.Hour), "alice-erased-7f3")
	e.record(t, "goner0001", "w2", now.Add(-2*time.Hour+time.Minute), "")
	e.record(t, "keeper001", "w1", now.Add(-90*time.Minute), "bob-kept-1c9")
	e.process(t)
	e.compactAll(t)
	// A second part (after SessionIdle), still in the log.
	e.record(t, "goner0001", "w1", now.Add(-30*time.Minute), "alice-erased-7f3")
	e.process(t)

	s, err := e.st.Session(ctx, e.project.ID, "goner0001~2")
	if err != nil {
		t.Fatalf("the second part before erasure: %v", err)
	}
	if s.UserID != "alice-erased-7f3" {
		t.Fatalf("user before erasure = %q", s.UserID)
	}
	if !e.listed(t, store.SessionFilter{Q: "orders goner0001"}, "goner0001") {
		t.Fatal("search does not find the session before erasure")
	}
	needles := []string{"goner0001", "alice-erased-7f3", "keeper001", "bob-kept-1c9"}
	before := found(t, e.dir, needles...)
	for _, n := range needles {
		if !before[n] {
			t.Fatalf("the data folder does not hold %q before erasure: the scan would prove nothing", n)
		}
	}

	// Compaction keeps the dictionary of the window's next chunk: its
	// pages, in memory.
	cached := func() bool {
		read := false
		e.dicts.Dict(ctx, fmt.Sprintf("%d/goner0001/w1", e.project.ID), 1, func(context.Context, int) ([]byte, error) {
			read = true
			return nil, errors.New("not cached")
		})
		return !read
	}
	if !cached() {
		t.Fatal("compaction keeps no dictionary of the window: the check after erasure would prove nothing")
	}

	out, err := e.eraser.Session(ctx, "admin@example.test", e.project.ID, "goner0001~2")
	if err != nil {
		t.Fatal(err)
	}
	if cached() {
		t.Error("a dictionary of the erased session's pages stays in memory")
	}
	if out.Sessions != 2 || out.Batches != 3 || out.Chunks == 0 {
		t.Errorf("erased %+v, want 2 sessions (both parts), 3 batches and the chunks", out)
	}
	for _, id := range []string{"goner0001", "goner0001~2"} {
		if _, err := e.st.Session(ctx, e.project.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session %s after erasure: %v, want not found", id, err)
		}
		if _, err := e.st.Parts(ctx, e.project.ID, id, "", 0, 1<<62); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("recording of %s after erasure: %v, want not found", id, err)
		}
	}
	if e.listed(t, store.SessionFilter{}, "goner0001") || e.listed(t, store.SessionFilter{Q: "goner0001"}, "goner0001") ||
		e.listed(t, store.SessionFilter{User: "alice-erased-7f3"}, "goner0001") {
		t.Error("the erased session is still listed")
	}
	if !e.listed(t, store.SessionFilter{Q: "orders keeper001"}, "keeper001") {
		t.Error("the other session is no longer found")
	}
	gone := func(when string) {
		t.Helper()
		after := found(t, e.dir, needles...)
		for _, n := range []string{"goner0001", "alice-erased-7f3"} {
			if after[n] {
				t.Errorf("%s, the data folder still holds %q", when, n)
			}
		}
		for _, n := range []string{"keeper001", "bob-kept-1c9"} {
			if !after[n] {
				t.Errorf("%s, the data folder lost %q of the session kept", when, n)
			}
		}
	}
	gone("after the erasure")
	if _, err := e.st.Parts(ctx, e.project.ID, "keeper001", "", 0, 1<<62); err != nil {
		t.Errorf("the other session's recording: %v", err)
	}

	// A rebuild of the index from the log does not bring it back.
	if err := e.st.ResetIndex(ctx); err != nil {
		t.Fatal(err)
	}
	e.upto = 0
	e.process(t)
	if e.listed(t, store.SessionFilter{}, "goner0001") {
		t.Error("a rebuilt index lists the erased session")
	}
	if !e.listed(t, store.SessionFilter{}, "keeper001") {
		t.Error("a rebuilt index lost the other session")
	}
	if err := e.st.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	gone("after a rebuild of the index")

	// A batch that comes later makes a new session, with nothing of the
	// erased one: the processor forgot its analysis.
	e.record(t, "goner0001", "w1", now.Add(-20*time.Minute), "")
	e.process(t)
	s, err = e.st.Session(ctx, e.project.ID, "goner0001")
	if err != nil {
		t.Fatalf("a batch after erasure: %v", err)
	}
	if s.UserID != "" || len(s.Windows) != 1 || s.Windows[0].Events != 3 {
		t.Errorf("the new session = user %q, windows %+v; want no user and one window of 3 events", s.UserID, s.Windows)
	}
}

// TestEraseUser erases every session in which the site identified one
// user, and no other.
func TestEraseUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Now()
	e.record(t, "usera0001", "w1", now.Add(-3*time.Hour), "erin-erased-42")
	e.record(t, "usera0002", "w1", now.Add(-2*time.Hour), "")
	e.record(t, "usera0002", "w2", now.Add(-2*time.Hour), "erin-erased-42") // identified in one window only
	e.record(t, "otheruser", "w1", now.Add(-time.Hour), "frank-kept-77")
	e.process(t)
	e.compactAll(t)

	out, err := e.eraser.User(ctx, "token ops", e.project.ID, "erin-erased-42")
	if err != nil {
		t.Fatal(err)
	}
	if out.Sessions != 2 {
		t.Errorf("erased %d sessions, want 2", out.Sessions)
	}
	if e.listed(t, store.SessionFilter{}, "usera0001") || e.listed(t, store.SessionFilter{}, "usera0002") {
		t.Error("a session of the erased user is still listed")
	}
	if !e.listed(t, store.SessionFilter{}, "otheruser") {
		t.Error("the other user's session is gone")
	}
	if got := found(t, e.dir, "erin-erased-42", "usera0001", "usera0002", "frank-kept-77"); got["erin-erased-42"] ||
		got["usera0001"] || got["usera0002"] || !got["frank-kept-77"] {
		t.Errorf("in the data folder after erasure: %v; want only frank-kept-77", got)
	}
	log, err := e.st.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "user.erase" || log[0].Actor != "token ops" || log[0].Target != erase.Fingerprint("erin-erased-42") {
		t.Errorf("audit log = %+v", log)
	}
}

// TestEraseUserWaitsForTheIndex erases a user's session whose batch was
// acknowledged just before the request, while the running processor has
// not taken it into the index yet: the index finds a user's sessions, and
// it trails the log.
func TestEraseUserWaitsForTheIndex(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEnv(t)
	now := time.Now()
	e.record(t, "indexed01", "w1", now.Add(-time.Hour), "erin-erased-42")
	// The processor takes in what the log holds at once, then lets new
	// batches gather for a while before it reads them.
	e.proc.Gather = 2 * time.Second
	done := make(chan struct{})
	go func() { defer close(done); e.proc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, func() bool { return e.listed(t, store.SessionFilter{}, "indexed01") })
	e.record(t, "justsent1", "w1", now.Add(-time.Minute), "erin-erased-42")
	if e.listed(t, store.SessionFilter{}, "justsent1") {
		t.Fatal("the new batch was indexed at once: the test shows nothing")
	}

	out, err := e.eraser.User(ctx, "token ops", e.project.ID, "erin-erased-42")
	if err != nil {
		t.Fatal(err)
	}
	if out.Sessions != 2 {
		t.Errorf("erased %d sessions, want both: the one indexed and the one acknowledged just before", out.Sessions)
	}
	if got := found(t, e.dir, "erin-erased-42", "justsent1", "indexed01"); got["erin-erased-42"] || got["justsent1"] || got["indexed01"] {
		t.Errorf("in the data folder after erasure: %v", got)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestRetain erases the sessions that ended longer ago than their
// project's retention, keeps the rest and the projects that keep all,
// and purges a deleted project with everything it had.
func TestRetain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := time.Now()
	shop := e.project
	shop.RetentionDays = 3
	if err := e.st.UpdateProject(ctx, shop); err != nil {
		t.Fatal(err)
	}
	e.record(t, "oldvisit1", "w1", now.AddDate(0, 0, -10), "carol-old-91")
	e.record(t, "edgevisit", "w1", now.AddDate(0, 0, -2), "")
	e.record(t, "recent001", "w1", now.Add(-time.Hour), "")

	forever, err := e.st.CreateProject(ctx, "archive", nil) // retention 0: kept
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.st.CreateProject(ctx, "gone", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.project = forever
	e.record(t, "ancient01", "w1", now.AddDate(0, 0, -30), "")
	e.project = gone
	e.record(t, "purged001", "w1", now.Add(-2*time.Hour), "dave-purged-55")
	if _, err := e.st.AddGoal(ctx, gone.Key, store.Goal{Name: "checkout", URL: "*/done"}); err != nil {
		t.Fatal(err)
	}
	e.project = shop
	e.process(t)
	e.compactAll(t)
	if err := e.st.DeleteProject(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	rep, err := e.eraser.Retain(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions != 1 || rep.Projects != 1 || rep.Purged != 1 {
		t.Errorf("report %+v, want 1 session expired, 1 project purged with its 1 session", rep)
	}
	if e.listed(t, store.SessionFilter{}, "oldvisit1") {
		t.Error("the session past retention is still listed")
	}
	for _, id := range []string{"edgevisit", "recent001"} {
		if !e.listed(t, store.SessionFilter{}, id) {
			t.Errorf("%s, within retention, is gone", id)
		}
	}
	if _, err := e.st.Session(ctx, forever.ID, "ancient01"); err != nil {
		t.Errorf("the session of a project that keeps all: %v", err)
	}
	if _, err := e.st.ProjectByID(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the purged project: %v, want not found", err)
	}
	if g, err := e.st.Goals(ctx, gone.ID); err != nil || len(g) != 0 {
		t.Errorf("the purged project's goals: %v %v", g, err)
	}
	got := found(t, e.dir, "oldvisit1", "carol-old-91", "purged001", "dave-purged-55", "edgevisit", "recent001", "ancient01")
	for _, n := range []string{"oldvisit1", "carol-old-91", "purged001", "dave-purged-55"} {
		if got[n] {
			t.Errorf("the data folder still holds %q", n)
		}
	}
	for _, n := range []string{"edgevisit", "recent001", "ancient01"} {
		if !got[n] {
			t.Errorf("the data folder lost %q", n)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, sqlite.BlobDir, fmt.Sprint(gone.ID))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the purged project's blob folder: %v", err)
	}

	// A second run finds nothing more to do.
	if rep, err := e.eraser.Retain(ctx, now); err != nil || rep != (erase.Report{}) {
		t.Errorf("second run: %+v %v", rep, err)
	}
}
