package server_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store/sqlite"
)

func metaEvent(ts int64, href string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":4,"data":{"href":%q,"width":1280,"height":720},"timestamp":%d}`, href, ts))
}

// Two projects that send the same session, window and seq keep their own
// batches; a reused seq with other events is refused and changes nothing.
func TestProjectsKeepTheirOwnData(t *testing.T) {
	base, data := start(t)
	shop, blog := newProject(t, data), newProject(t, data)
	ts := time.Now().UnixMilli()
	shopEvents := []json.RawMessage{metaEvent(ts, "https://shop.example/")}
	blogEvents := []json.RawMessage{metaEvent(ts+5, "https://blog.example/"), metaEvent(ts+9, "https://blog.example/post")}
	for _, tt := range []struct {
		name   string
		b      body
		status int
		code   string
	}{
		{"shop's batch", body{shop.Key, "s", "w", 0, shopEvents}, 202, ""},
		{"blog's batch under the same ids", body{blog.Key, "s", "w", 0, blogEvents}, 202, ""},
		{"shop's retry", body{shop.Key, "s", "w", 0, shopEvents}, 200, ""},
		{"shop's seq reused for other events", body{shop.Key, "s", "w", 0, blogEvents}, 409, "seq_conflict"},
		{"blog's seq reused for other events", body{blog.Key, "s", "w", 0, shopEvents}, 409, "seq_conflict"},
	} {
		status, out := post(t, base, tt.b, tt.status == 200)
		if status != tt.status || (tt.code != "" && errorCode(t, out) != tt.code) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, out, tt.status, tt.code)
		}
	}
	for _, p := range []struct {
		id     int64
		events []json.RawMessage
		entry  string
	}{{shop.ID, shopEvents, "https://shop.example/"}, {blog.ID, blogEvents, "https://blog.example/"}} {
		s := waitSession(t, base, p.id, "s", len(p.events))
		if s.Project != p.id || s.EntryURL != p.entry || s.Pages != len(p.events) {
			t.Errorf("project %d's session: %+v", p.id, s)
		}
		var got json.RawMessage
		getJSON(t, sessionURL(base, p.id, "s")+"/events", &got)
		want, _ := json.Marshal(p.events)
		assertSameEvents(t, fmt.Sprintf("project %d", p.id), got, want)
	}
	for _, tt := range []struct {
		url  string
		want int
	}{
		{base + "/api/v1/sessions", 2},
		{fmt.Sprintf("%s/api/v1/projects/%d/sessions", base, shop.ID), 1},
		{fmt.Sprintf("%s/api/v1/projects/%d/sessions", base, blog.ID+1), 0},
	} {
		var list struct{ Sessions []sessionJSON }
		if status := getJSON(t, tt.url, &list); status != http.StatusOK || len(list.Sessions) != tt.want {
			t.Errorf("GET %s: %d, %d sessions, want %d", tt.url, status, len(list.Sessions), tt.want)
		}
	}
}

// A visitor whose clock runs two days ahead is dated by the server: the
// session does not top the list for two days.
func TestImplausibleClockIsDatedByServer(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	ahead := time.Now().Add(47 * time.Hour).UnixMilli()
	if status, out := post(t, base, body{p.Key, "ahead", "w", 0, []json.RawMessage{metaEvent(ahead, "https://shop.example/"), metaEvent(ahead+3000, "https://shop.example/b")}}, false); status != 202 {
		t.Fatalf("batch from a clock 47 h ahead: %d %s", status, out)
	}
	waitSession(t, base, p.ID, "ahead", 2)
	now := time.Now()
	if status, out := post(t, base, body{p.Key, "honest", "w", 0, []json.RawMessage{metaEvent(now.UnixMilli(), "https://shop.example/")}}, false); status != 202 {
		t.Fatalf("%d %s", status, out)
	}
	waitSession(t, base, p.ID, "honest", 1)

	var list struct {
		Sessions []struct {
			ID            string    `json:"id"`
			Start         time.Time `json:"start"`
			DurationMS    int64     `json:"duration_ms"`
			ClockOffsetMS int64     `json:"clock_offset_ms"`
		}
	}
	getJSON(t, base+"/api/v1/sessions", &list)
	if len(list.Sessions) != 2 || list.Sessions[0].ID != "honest" {
		t.Fatalf("list = %+v, want the honest session first", list.Sessions)
	}
	s := list.Sessions[1]
	if d := now.Sub(s.Start); d < 0 || d > time.Minute {
		t.Errorf("the session of the clock ahead starts at %v, %v before the server's now", s.Start, d)
	}
	if s.DurationMS != 3000 || s.ClockOffsetMS > -46*3600*1000 || s.ClockOffsetMS < -48*3600*1000 {
		t.Errorf("session of the clock ahead: %+v", s)
	}
}

// Restoring playhead.db from a backup while index.db is newer leaves the
// index ahead of the log; the server rebuilds it at start, so batches
// logged after the restore are indexed, not skipped.
func TestRestoredLogRebuildsIndex(t *testing.T) {
	data := t.TempDir()
	p := newProject(t, data)
	at := func(c *server.Config) { c.Data = data }
	send := func(base, session string, batches int) {
		t.Helper()
		for seq := range batches {
			ev := []json.RawMessage{metaEvent(time.Now().UnixMilli(), "https://shop.example/"+session)}
			if status, out := post(t, base, body{p.Key, session, "w", seq, ev}, false); status != 202 {
				t.Fatalf("%s seq %d: %d %s", session, seq, status, out)
			}
		}
		waitSession(t, base, p.ID, session, batches)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	t.Run("before the restore", func(t *testing.T) {
		base, _ := start(t, at)
		send(base, "kept", 2)
		db, err := sql.Open("sqlite", filepath.Join(data, sqlite.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`VACUUM INTO ?`, backup); err != nil {
			t.Fatal(err)
		}
		send(base, "lost", 5)
	})
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(data, sqlite.FileName+suffix))
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, sqlite.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, at)
	send(base, "after", 3)
	var list struct{ Sessions []sessionJSON }
	getJSON(t, base+"/api/v1/sessions", &list)
	if len(list.Sessions) != 2 || list.Sessions[0].ID != "after" || list.Sessions[1].ID != "kept" {
		t.Errorf("sessions after the restore: %+v, want after and kept", list.Sessions)
	}
}

// A recorder's session idle for more than 30 minutes goes on as a new
// session, id~2, whatever id the recorder keeps sending; each part reads
// back only its own events.
func TestSessionSplitOnIdle(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	early := time.Now().Add(-2 * time.Hour).UnixMilli()
	late := time.Now().Add(-time.Hour).UnixMilli()
	parts := [][]json.RawMessage{
		{metaEvent(early, "https://shop.example/"), metaEvent(early+1000, "https://shop.example/a")},
		{metaEvent(late, "https://shop.example/b")},
	}
	for seq, events := range parts {
		if status, out := post(t, base, body{p.Key, "split", "w", seq, events}, false); status != 202 {
			t.Fatalf("batch %d: %d %s", seq, status, out)
		}
	}
	first := waitSession(t, base, p.ID, "split", 2)
	second := waitSession(t, base, p.ID, "split~2", 1)
	var both struct {
		Sessions []struct{ ID, Recorded string }
	}
	getJSON(t, base+"/api/v1/sessions", &both)
	if len(both.Sessions) != 2 || both.Sessions[0].ID != "split~2" || both.Sessions[0].Recorded != "split" {
		t.Errorf("list = %+v, want split~2 then split, both recorded as split", both.Sessions)
	}
	var found struct{ Sessions []struct{ ID string } }
	getJSON(t, base+"/api/v1/sessions?recorded=split&sort=oldest", &found)
	if len(found.Sessions) != 2 || found.Sessions[0].ID != "split" || found.Sessions[1].ID != "split~2" {
		t.Errorf("parts of split = %+v", found.Sessions)
	}
	if first.EntryURL != "https://shop.example/" || second.EntryURL != "https://shop.example/b" {
		t.Errorf("entry pages %s and %s", first.EntryURL, second.EntryURL)
	}
	for i, id := range []string{"split", "split~2"} {
		var got json.RawMessage
		getJSON(t, sessionURL(base, p.ID, id)+"/events", &got)
		want, _ := json.Marshal(parts[i])
		assertSameEvents(t, id, got, want)
	}
}
