package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store/sqlite"
)

type exportFile struct {
	Playhead int `json:"playhead"`
	Session  struct {
		ID            string `json:"id"`
		Start         string `json:"start"`
		ClockOffsetMS int64  `json:"clock_offset_ms"`
		UserAgent     string `json:"user_agent"`
	} `json:"session"`
	Windows []struct {
		ID     string            `json:"id"`
		Events []json.RawMessage `json:"events"`
	} `json:"windows"`
}

func exportSession(t *testing.T, url string) (exportFile, []byte) {
	t.Helper()
	resp, err := servertest.Get(url + "/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, raw)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition %q, want an attachment", cd)
	}
	var f exportFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return f, raw
}

func importFile(t *testing.T, base string, project int64, file []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/projects/%d/import", base, project), bytes.NewReader(file))
	req.Header.Set("Content-Type", "application/json")
	resp, err := servertest.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// A session exported and imported again, into another project, is the
// same recording: each window's events, the session's dates.
func TestExportThenImport(t *testing.T) {
	base, data := start(t)
	from, to := newProject(t, data), newProject(t, data)
	rec, err := recordings.Load(recordings.TwoWindows)
	if err != nil {
		t.Fatal(err)
	}
	const session = "exported"
	total := 0
	for _, w := range rec.Windows {
		for seq, i := 0, 0; i < len(w.Events); seq, i = seq+1, i+5 {
			b := body{Key: from.Key, Session: session, Window: w.ID, Seq: seq, Events: w.Events[i:min(i+5, len(w.Events))]}
			if status, out := post(t, base, b, true, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"); status != http.StatusAccepted {
				t.Fatalf("window %s seq %d: %d %s", w.ID, seq, status, out)
			}
		}
		total += len(w.Events)
	}
	orig := waitSession(t, base, from.ID, session, total)

	file, raw := exportSession(t, sessionURL(base, from.ID, session))
	if file.Playhead != 1 || file.Session.ID != session || !strings.Contains(file.Session.UserAgent, "Firefox") {
		t.Errorf("export header: %+v", file.Session)
	}
	if len(file.Windows) != len(rec.Windows) {
		t.Fatalf("export has %d windows, want %d", len(file.Windows), len(rec.Windows))
	}
	// Each window is the events API's answer for it, and what was sent.
	for _, w := range file.Windows {
		got, _ := json.Marshal(w.Events)
		resp, err := servertest.Get(sessionURL(base, from.ID, session) + "/events?window=" + w.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assertSameEvents(t, "export of window "+w.ID, got, want)
		i := slices.IndexFunc(rec.Windows, func(rw recordings.Window) bool { return rw.ID == w.ID })
		if i < 0 {
			t.Fatalf("export has window %s, which was not recorded", w.ID)
		}
		sorted := slices.Clone(rec.Windows[i].Events)
		slices.SortStableFunc(sorted, func(a, b json.RawMessage) int { return int(recordings.Timestamp(a) - recordings.Timestamp(b)) })
		sent, _ := json.Marshal(sorted)
		assertSameEvents(t, "export of window "+w.ID+" against the recording", got, sent)
	}

	status, out := importFile(t, base, to.ID, raw)
	if status != http.StatusCreated {
		t.Fatalf("import: %d %s", status, out)
	}
	var answer struct {
		Project int64  `json:"project"`
		Session string `json:"session"`
		Events  int    `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || answer.Project != to.ID || answer.Session == "" || answer.Events != total {
		t.Fatalf("import answer: %s", out)
	}
	copied := waitSession(t, base, to.ID, answer.Session, total)
	again, _ := exportSession(t, sessionURL(base, to.ID, answer.Session))
	for i, w := range file.Windows {
		got, _ := json.Marshal(again.Windows[i].Events)
		want, _ := json.Marshal(w.Events)
		if again.Windows[i].ID != w.ID {
			t.Errorf("imported window %d is %s, want %s", i, again.Windows[i].ID, w.ID)
		}
		assertSameEvents(t, "imported window "+w.ID, got, want)
	}
	if again.Session.Start != file.Session.Start || again.Session.ClockOffsetMS != file.Session.ClockOffsetMS {
		t.Errorf("imported session starts %s (offset %d ms), the original %s (%d ms)",
			again.Session.Start, again.Session.ClockOffsetMS, file.Session.Start, file.Session.ClockOffsetMS)
	}
	if copied.Browser != orig.Browser || copied.Pages != orig.Pages || copied.EntryURL != orig.EntryURL {
		t.Errorf("imported session %+v, the original %+v", copied, orig)
	}

	// A plain array of rrweb events is one window.
	plain, _ := json.Marshal(rec.Windows[0].Events)
	if status, out := importFile(t, base, to.ID, plain); status != http.StatusCreated {
		t.Errorf("import of an events array: %d %s", status, out)
	}
}

// A file that is not an export is refused with a 4xx that says why, and
// makes no session.
func TestImportRefusesBadFiles(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	ts := oneEvent()[0]
	tests := []struct {
		name, file, code string
		status           int
	}{
		{"not JSON", `{"playhead":1,`, "invalid_file", 400},
		{"another version", `{"playhead":2,"windows":[]}`, "unsupported_version", 400},
		{"no windows", `{"playhead":1,"windows":[]}`, "no_events", 400},
		{"an empty window", `{"playhead":1,"windows":[{"id":"w","events":[]}]}`, "no_events", 400},
		{"a bad window id", `{"playhead":1,"windows":[{"id":"a b","events":[` + string(ts) + `]}]}`, "invalid_window", 400},
		{"a window twice", `{"playhead":1,"windows":[{"id":"w","events":[` + string(ts) + `]},{"id":"w","events":[` + string(ts) + `]}]}`, "invalid_window", 400},
		{"an event without a time", `{"playhead":1,"windows":[{"id":"w","events":[{"type":3,"data":{}}]}]}`, "invalid_event", 400},
		{"an event from 1990", `{"playhead":1,"windows":[{"id":"w","events":[{"type":3,"data":{},"timestamp":631152000000}]}]}`, "invalid_timestamp", 400},
		{"not an object", `"hello"`, "invalid_file", 400},
	}
	for _, tt := range tests {
		status, out := importFile(t, base, p.ID, []byte(tt.file))
		if status != tt.status || errorCode(t, out) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, out, tt.status, tt.code)
		}
	}
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if stats, err := st.LogStats(context.Background(), ""); err != nil || stats.Batches != 0 {
		t.Errorf("refused imports logged %d batches (%v)", stats.Batches, err)
	}
}
