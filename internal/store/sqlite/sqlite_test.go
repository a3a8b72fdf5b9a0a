package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newBatch(project int64, session, window string, seq int64, ts int64) *batch.Batch {
	events := fmt.Sprintf(`[{"type":3,"data":{"source":1,"seq":%d},"timestamp":%d}]`, seq, ts)
	hash := sha256.Sum256([]byte(events))
	return &batch.Batch{
		Project: project, Session: session, Window: window, Seq: seq, Received: time.Now(),
		Events: batch.Compress([]byte(events)), Hash: hash[:], Count: 1, First: ts, Last: ts,
	}
}

func TestAppendIsIdempotentUnderConcurrency(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	p, err := s.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	// 20 writers send the same 50 batches each: every batch must be stored
	// once, and exactly one writer per batch must be told it was new.
	const writers, batches = 20, 50
	var (
		mu    sync.Mutex
		fresh = map[int64]int{}
		wg    sync.WaitGroup
	)
	for range writers {
		wg.Go(func() {
			for seq := range int64(batches) {
				dup, err := s.Append(ctx, newBatch(p.ID, "s1", "w1", seq, 1795000000000+seq))
				if err != nil {
					t.Error(err)
					return
				}
				if !dup {
					mu.Lock()
					fresh[seq]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for seq := range int64(batches) {
		if fresh[seq] != 1 {
			t.Errorf("batch %d was stored as new %d times", seq, fresh[seq])
		}
	}
	hs, err := s.BatchesAfter(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != batches {
		t.Fatalf("log holds %d batches, want %d", len(hs), batches)
	}
	stored := storedBatches(t, s, p.ID, "s1")
	if len(stored) != batches {
		t.Fatalf("events: %d batches", len(stored))
	}
	for i, b := range stored {
		want := newBatch(p.ID, "s1", "w1", int64(i), 1795000000000+int64(i)).Events
		if !bytes.Equal(b, want) {
			t.Errorf("batch %d reads back changed", i)
		}
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = s.Append(context.Background(), newBatch(1, "s", "w", 0, 1795000000000))
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, "shop", []string{"https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, newBatch(p.ID, "s", "w", 0, 1795000000000)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ProjectByKey(ctx, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "shop" || len(got.Origins) != 1 || !got.Enabled {
		t.Errorf("project after reopen: %+v", got)
	}
	if _, err := s.ProjectByKey(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	dup, err := s.Append(ctx, newBatch(p.ID, "s", "w", 0, 1795000000000))
	if err != nil || !dup {
		t.Errorf("re-sending a stored batch after reopen: dup=%v err=%v", dup, err)
	}
}

// Batches are keyed within their project: two projects may use the same
// ids, and a reused key with other events is refused, changing nothing.
func TestAppendKeysWithinProject(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	one, _ := s.CreateProject(ctx, "one", nil)
	two, _ := s.CreateProject(ctx, "two", nil)
	const ts = 1795000000000
	for _, tt := range []struct {
		name    string
		b       *batch.Batch
		dup     bool
		wantErr error
	}{
		{"first", newBatch(one.ID, "s", "w", 0, ts), false, nil},
		{"another project, same ids", newBatch(two.ID, "s", "w", 0, ts+1), false, nil},
		{"retry", newBatch(one.ID, "s", "w", 0, ts), true, nil},
		{"same key, other events", newBatch(one.ID, "s", "w", 0, ts+2), false, store.ErrConflict},
		{"retry in the other project", newBatch(two.ID, "s", "w", 0, ts+1), true, nil},
	} {
		dup, err := s.Append(ctx, tt.b)
		if dup != tt.dup || !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: dup=%v err=%v, want dup=%v err=%v", tt.name, dup, err, tt.dup, tt.wantErr)
		}
	}
	for _, p := range []struct {
		id int64
		ts int64
	}{{one.ID, ts}, {two.ID, ts + 1}} {
		stored := storedBatches(t, s, p.id, "s")
		if len(stored) != 1 || !bytes.Equal(stored[0], newBatch(p.id, "s", "w", 0, p.ts).Events) {
			t.Errorf("project %d reads back %d batches, not its own one batch", p.id, len(stored))
		}
	}
}

func TestSessionIndex(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ms := func(v int64) time.Time { return time.UnixMilli(1795000000000 + v).UTC() }
	updates := []store.SessionUpdate{
		{Project: 1, Session: "a", Window: "w1", First: ms(0), Last: ms(5000), Events: 10,
			PageViews: []store.PageView{{URL: "https://shop.example/", Start: ms(0)}},
			UserAgent: "ua", Browser: "Chrome 120", OS: "Linux", Device: "desktop"},
		{Project: 1, Session: "a", Window: "w1", First: ms(5000), Last: ms(9000), Events: 5,
			PageViews: []store.PageView{{URL: "https://shop.example/cart", Start: ms(6000)}}},
		{Project: 1, Session: "b", Window: "w9", First: ms(20000), Last: ms(21000), Events: 1},
		// Another project's session a is its own.
		{Project: 2, Session: "a", Window: "w1", First: ms(-9000), Last: ms(99000), Events: 1},
		// A visitor whose clock ran a day ahead: dated a day earlier, and
		// the offset its first batch set holds for the rest.
		{Project: 1, Session: "c", Window: "w1", First: ms(86_400_500), Last: ms(86_401_000), Events: 1,
			ClockOffset: -24 * time.Hour, PageViews: []store.PageView{{URL: "https://shop.example/c", Start: ms(86_400_500)}}},
		{Project: 1, Session: "c", Window: "w1", First: ms(86_402_000), Last: ms(86_403_000), Events: 1,
			ClockOffset: -24*time.Hour - time.Second},
	}
	if _, err := s.CreateProject(ctx, "one", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateProject(ctx, "two", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySessionUpdates(ctx, "sessions", 42, updates); err != nil {
		t.Fatal(err)
	}
	if upto, err := s.Processed(ctx, "sessions"); err != nil || upto != 42 {
		t.Errorf("Processed = %d, %v", upto, err)
	}
	ids := func(list []store.Session) (out []string) {
		for _, s := range list {
			out = append(out, fmt.Sprintf("%d/%s", s.Project, s.ID))
		}
		return out
	}
	for _, tt := range []struct {
		project int64
		want    string
	}{
		{0, "[1/b 1/c 1/a 2/a]"},
		{1, "[1/b 1/c 1/a]"},
		{2, "[2/a]"},
	} {
		list, err := s.Sessions(ctx, tt.project, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ids(list)); got != tt.want {
			t.Errorf("sessions of project %d = %s, want %s (newest first)", tt.project, got, tt.want)
		}
	}
	a, err := s.Session(ctx, 1, "a")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(a)
	if !a.Start.Equal(ms(0)) || !a.End.Equal(ms(9000)) || a.Pages != 2 ||
		a.EntryURL != "https://shop.example/" || a.Browser != "Chrome 120" ||
		len(a.Windows) != 1 || a.Windows[0].Events != 15 || len(a.PageViews) != 2 {
		t.Errorf("session 1/a = %s", got)
	}
	other, err := s.Session(ctx, 2, "a")
	if err != nil || !other.Start.Equal(ms(-9000)) || len(other.Windows) != 1 || other.Windows[0].Events != 1 || other.Pages != 0 {
		t.Errorf("session 2/a = %+v, %v", other, err)
	}
	c, err := s.Session(ctx, 1, "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClockOffset != -24*time.Hour || !c.Start.Equal(ms(500)) || !c.End.Equal(ms(3000)) ||
		len(c.PageViews) != 1 || !c.PageViews[0].Start.Equal(ms(500)) || !c.Windows[0].End.Equal(ms(3000)) {
		t.Errorf("session 1/c, dated by the server: %+v", c)
	}
	for _, k := range []struct {
		project int64
		id      string
	}{{1, "zzz"}, {3, "a"}} {
		if _, err := s.Session(ctx, k.project, k.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing session %d/%s: %v", k.project, k.id, err)
		}
	}
}

// TestIndexRebuildsFromLog: the sessions index is derived data. Without
// index.db the processor makes it again from the log.
func TestIndexRebuildsFromLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	build := func() store.Session {
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		p := &process.Processor{Log: s, Index: s}
		if _, _, err := p.Step(ctx, 0); err != nil {
			t.Fatal(err)
		}
		sess, err := s.Session(ctx, 1, "s")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := s.CreateProject(ctx, "shop", nil)
	for seq := range int64(3) {
		if _, err := s.Append(ctx, newBatch(pr.ID, "s", "w", seq, 1795000000000+seq*1000)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	first := build()
	if err := os.Remove(filepath.Join(dir, IndexFileName)); err != nil {
		t.Fatal(err)
	}
	again := build()
	if again.Windows[0].Events != 3 || !again.Start.Equal(first.Start) || !again.End.Equal(first.End) {
		t.Errorf("rebuilt session %+v, first built %+v", again, first)
	}
}

// TestMigrateKeepsLog: a data folder from before batches were keyed by
// project keeps every batch under its position, and its index is rebuilt.
func TestMigrateKeepsLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, f := range []struct {
		name       string
		migrations []string
		fill       string
	}{
		{FileName, logMigrations[:1], `INSERT INTO projects (id, name, key, created) VALUES (1, 'shop', 'ph_k', 0);
			INSERT INTO batches (id, project, session, window, seq, received, agent, count, first_ts, last_ts, pages, events)
			VALUES (7, 1, 's', 'w', 0, 1795000000000, '', 1, 1795000000000, 1795000000000, '[]', x'00')`},
		{IndexFileName, indexMigrations[:1], `INSERT INTO processed VALUES ('sessions', 7);
			INSERT INTO sessions (id, project, start_ts, end_ts) VALUES ('s', 1, 0, 0)`},
	} {
		db, err := openDB(filepath.Join(dir, f.name), 1, "immediate")
		if err != nil {
			t.Fatal(err)
		}
		if err := migrate(ctx, db, f.migrations); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, f.fill); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs, err := s.BatchesAfter(ctx, 0, 10, 1<<20)
	if err != nil || len(hs) != 1 || hs[0].ID != 7 || hs[0].Project != 1 {
		t.Fatalf("log after migration: %+v, %v", hs, err)
	}
	if upto, err := s.Processed(ctx, "sessions"); err != nil || upto != 0 {
		t.Errorf("index position after migration = %d, %v; want 0 to rebuild", upto, err)
	}
	// A batch from before has no hash: its repeat counts as a retry.
	b := newBatch(1, "s", "w", 0, 1795000000000)
	if dup, err := s.Append(ctx, b); err != nil || !dup {
		t.Errorf("repeat of a batch logged before hashes: dup=%v err=%v", dup, err)
	}
}

// A session keeps at most store.MaxWindows windows and store.MaxPageViews
// page views in the index, however many a client sends.
func TestSessionIndexIsBounded(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	at := time.UnixMilli(1795000000000)
	var updates []store.SessionUpdate
	for i := range store.MaxWindows + 20 {
		u := store.SessionUpdate{Project: 1, Session: "s", Window: fmt.Sprintf("w%03d", i), First: at, Last: at, Events: 1}
		for j := range 12 {
			u.PageViews = append(u.PageViews, store.PageView{URL: fmt.Sprintf("https://shop.example/%d/%d", i, j), Start: at})
		}
		updates = append(updates, u)
	}
	// A window already listed still takes updates at the limit.
	updates = append(updates, store.SessionUpdate{Project: 1, Session: "s", Window: "w000", First: at, Last: at.Add(time.Minute), Events: 5})
	if err := s.ApplySessionUpdates(ctx, "sessions", 1, updates); err != nil {
		t.Fatal(err)
	}
	sess, err := s.Session(ctx, 1, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.Windows) != store.MaxWindows || len(sess.PageViews) != store.MaxPageViews || sess.Pages != store.MaxPageViews {
		t.Errorf("%d windows, %d page views (pages %d); want %d and %d", len(sess.Windows), len(sess.PageViews), sess.Pages, store.MaxWindows, store.MaxPageViews)
	}
	if w := sess.Windows[0]; w.ID != "w000" || w.Events != 6 || !sess.End.Equal(at.Add(time.Minute).UTC()) {
		t.Errorf("first window %+v, session end %v", w, sess.End)
	}
}

// The server splits a recorder's session by the session rules, whatever
// ids the recorder sends: after 30 minutes without events, and after 24
// hours in all.
func TestSessionsSplit(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return time.UnixMilli(1795000000000).Add(d).UTC() }
	update := func(window string, from, to time.Duration) store.SessionUpdate {
		return store.SessionUpdate{Project: 1, Session: "s", Window: window, First: at(from), Last: at(to), Events: 1}
	}
	steps := [][]store.SessionUpdate{
		{update("w1", 0, 10*time.Minute)},
		{update("w1", 20*time.Minute, 25*time.Minute)}, // 10 minutes idle: the same part
		{update("w1", 56*time.Minute, time.Hour)},      // 31 minutes idle: a new part
		{update("w2", 59*time.Minute, 61*time.Minute)}, // another tab of that part
	}
	// A long visit, never idle for long, split when it reaches 24 hours.
	for m := 80 * time.Minute; m <= 26*time.Hour; m += 20 * time.Minute {
		steps = append(steps, []store.SessionUpdate{update("w1", m, m+time.Minute)})
	}
	for i, step := range steps {
		if err := s.ApplySessionUpdates(ctx, "sessions", int64(i+1), step); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Sessions(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Session{}
	for _, sess := range list {
		got[sess.ID] = sess
	}
	for _, want := range []struct {
		id         string
		start, end time.Duration
		windows    int
	}{
		{"s", 0, 25 * time.Minute, 1},
		{"s~2", 56 * time.Minute, 24*time.Hour + 41*time.Minute, 2},
		{"s~3", 24*time.Hour + 60*time.Minute, 26*time.Hour + time.Minute, 1},
	} {
		sess, ok := got[want.id]
		if !ok {
			t.Errorf("no part %s in %v", want.id, ids(list))
			continue
		}
		if sess.Recorded != "s" || !sess.Start.Equal(at(want.start)) || !sess.End.Equal(at(want.end)) || len(sess.Windows) != want.windows {
			t.Errorf("part %s: recorded %q, %v to %v, %d windows; want %v to %v, %d windows",
				want.id, sess.Recorded, sess.Start, sess.End, len(sess.Windows), at(want.start), at(want.end), want.windows)
		}
	}
	if len(list) != 3 {
		t.Errorf("parts %v, want 3", ids(list))
	}
}

func ids(list []store.Session) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

// A device the User-Agent does not tell is told by the viewport.
func TestDeviceFromViewport(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	at := time.UnixMilli(1795000000000)
	for _, tt := range []struct {
		session, device string
		width           int
		want            string
	}{
		{"phone", "", 390, "mobile"},
		{"tablet", "", 820, "tablet"},
		{"wide", "", 1440, "desktop"},
		{"told", "desktop", 390, "desktop"}, // the User-Agent wins
		{"unknown", "", 0, ""},
	} {
		u := store.SessionUpdate{Project: 1, Session: tt.session, Window: "w", First: at, Last: at, Events: 1, Device: tt.device,
			Analysis: &store.WindowAnalysis{ViewportWidth: tt.width, ViewportHeight: 700}}
		if err := s.ApplySessionUpdates(ctx, "sessions", 1, []store.SessionUpdate{u}); err != nil {
			t.Fatal(err)
		}
		sess, err := s.Session(ctx, 1, tt.session)
		if err != nil {
			t.Fatal(err)
		}
		if sess.Device != tt.want {
			t.Errorf("%s: device %q, want %q", tt.session, sess.Device, tt.want)
		}
	}
}

// storedBatches reads back a session's batches as stored, in seq order.
func storedBatches(t *testing.T, s *Store, project int64, session string) [][]byte {
	t.Helper()
	ctx := context.Background()
	parts, err := s.Parts(ctx, project, session, "", math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, p := range parts {
		if p.Chunk {
			t.Fatalf("part %+v is a chunk; nothing was compacted", p)
		}
		b, err := s.BatchEvents(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
