package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
)

var (
	start         = servertest.Start
	createProject = servertest.CreateProject
	newProject    = servertest.Project
)

// sessionURL is where the API serves a project's session.
func sessionURL(base string, project int64, id string) string {
	return fmt.Sprintf("%s/api/v1/projects/%d/sessions/%s", base, project, id)
}

type body struct {
	Key     string            `json:"key"`
	Session string            `json:"session"`
	Window  string            `json:"window"`
	Seq     int               `json:"seq"`
	Events  []json.RawMessage `json:"events"`
}

func post(t *testing.T, base string, b any, gzipped bool, header ...string) (int, string) {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if gzipped {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(raw)
		zw.Close()
		raw = buf.Bytes()
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/ingest", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// getPage gets url as client (a login's) and returns the status and the
// page.
func getPage(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := servertest.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

type sessionJSON struct {
	Project    int64  `json:"project"`
	ID         string `json:"id"`
	DurationMS int64  `json:"duration_ms"`
	Pages      int    `json:"pages"`
	EntryURL   string `json:"entry_url"`
	Browser    string `json:"browser"`
	OS         string `json:"os"`
	Device     string `json:"device"`
	Windows    []struct {
		ID     string `json:"id"`
		Events int    `json:"events"`
	} `json:"windows"`
	PageViews []struct {
		URL    string `json:"url"`
		Window string `json:"window"`
	} `json:"page_views"`
}

// waitSession polls the API until the session's index shows want events.
func waitSession(t *testing.T, base string, project int64, id string, events int) sessionJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var s sessionJSON
		if getJSON(t, sessionURL(base, project, id), &s) == http.StatusOK {
			n := 0
			for _, w := range s.Windows {
				n += w.Events
			}
			if n == events {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s did not reach %d events: %+v", id, events, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImportRecording posts stock rrweb's real two-window recording
// (package recordings) through the ingest API, one window per window id,
// and reads it back.
func TestImportRecording(t *testing.T) {
	base, data := start(t)
	project := newProject(t, data)
	key := project.Key

	rec, err := recordings.Load(recordings.TwoWindows)
	if err != nil {
		t.Fatal(err)
	}
	windows, facts := rec.Windows, rec.Facts()
	if len(windows) != 2 {
		t.Fatalf("the recording has %d windows, want 2", len(windows))
	}
	const session = "rrweb-import"
	total := 0
	ua := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36"
	for _, w := range windows {
		for seq, i := 0, 0; i < len(w.Events); seq, i = seq+1, i+7 {
			chunk := w.Events[i:min(i+7, len(w.Events))]
			b := body{Key: key, Session: session, Window: w.ID, Seq: seq, Events: chunk}
			if status, out := post(t, base, b, seq%2 == 0, "User-Agent", ua); status != http.StatusAccepted {
				t.Fatalf("window %s seq %d: %d %s", w.ID, seq, status, out)
			}
			// A retry of the same batch is stored once.
			if status, out := post(t, base, b, false); status != http.StatusOK || !strings.Contains(out, `"duplicate":true`) {
				t.Fatalf("retry of seq %d: %d %s", seq, status, out)
			}
			total += len(chunk)
		}
	}

	if total != facts.Events {
		t.Fatalf("posted %d events, the recording has %d", total, facts.Events)
	}
	s := waitSession(t, base, project.ID, session, total)
	if s.Pages != facts.Pages || len(s.Windows) != facts.Windows || s.EntryURL != facts.EntryURL ||
		s.Browser != "Chrome 112" || s.OS != "macOS" || s.Device != "desktop" {
		t.Errorf("session = %+v", s)
	}
	if s.DurationMS != facts.DurationMS {
		t.Errorf("duration = %d ms, want %d (first to last event of the recording): %+v", s.DurationMS, facts.DurationMS, s)
	}
	var list struct{ Sessions []sessionJSON }
	getJSON(t, base+"/api/v1/sessions", &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != session {
		t.Errorf("list = %+v", list)
	}

	// Every event comes back unchanged, in timestamp order: the merged
	// stream is the recording's windows merged by time.
	want, err := json.Marshal(rec.Events())
	if err != nil {
		t.Fatal(err)
	}
	var got json.RawMessage
	getJSON(t, sessionURL(base, project.ID, session)+"/events", &got)
	assertSameEvents(t, "merged", got, want)
	for _, text := range []string{"Playhead fixture", "Signed up as Ada Lovelace", "Fixture complete"} {
		if !bytes.Contains(got, []byte(text)) {
			t.Errorf("the session's events do not hold %q", text)
		}
	}
	for _, w := range windows {
		var one json.RawMessage
		getJSON(t, sessionURL(base, project.ID, session)+"/events?window="+w.ID, &one)
		all, _ := json.Marshal(w.Events)
		assertSameEvents(t, "window "+w.ID, one, all)
	}
	// The dashboard lists it and has a player page for it.
	page := fmt.Sprintf("/projects/%d/sessions/%s", project.ID, session)
	owner := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	for path, want := range map[string]string{
		"/":  `href="` + page + `"`,
		page: `data-session="` + session + `"`,
	} {
		resp, err := owner.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("GET %s: %d, want %q in\n%s", path, resp.StatusCode, want, page)
		}
	}
	for _, url := range []string{
		sessionURL(base, project.ID, "nope") + "/events",
		sessionURL(base, project.ID+1, session) + "/events",
		sessionURL(base, project.ID+1, session),
		base + "/api/v1/projects/x/sessions/" + session,
	} {
		if status := getJSON(t, url, nil); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", url, status)
		}
	}
}

func assertSameEvents(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w []any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(g) != len(w) {
		t.Fatalf("%s: %d events, want %d", what, len(g), len(w))
	}
	for i := range w {
		if !reflect.DeepEqual(g[i], w[i]) {
			t.Fatalf("%s: event %d differs:\n got %.300v\nwant %.300v", what, i, g[i], w[i])
		}
	}
}

func TestIngestAnswers(t *testing.T) {
	base, data := start(t)
	project := newProject(t, data)
	key := project.Key
	strictProject := newProject(t, data, "https://shop.example")
	strict := strictProject.Key
	ts := time.Now().UnixMilli()
	ev := []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"type":4,"data":{"href":"https://shop.example/"},"timestamp":%d}`, ts))}
	tests := []struct {
		name   string
		body   any
		header []string
		status int
		code   string
	}{
		{"stored", body{key, "s1", "w1", 0, ev}, nil, 202, ""},
		{"repeat", body{key, "s1", "w1", 0, ev}, nil, 200, ""},
		{"unknown key", body{"ph_nope", "s2", "w1", 0, ev}, nil, 401, "unknown_key"},
		{"origin allowed", body{strict, "s3", "w1", 0, ev}, []string{"Origin", "https://shop.example"}, 202, ""},
		{"origin refused", body{strict, "s4", "w1", 0, ev}, []string{"Origin", "https://evil.example"}, 403, "origin_not_allowed"},
		{"bad id", body{key, "s 5", "w1", 0, ev}, nil, 400, "invalid_session"},
		{"xml", body{key, "s6", "w1", 0, ev}, []string{"Content-Type", "application/xml"}, 415, "unsupported_media_type"},
		{"lying encoding", body{key, "s7", "w1", 0, ev}, []string{"Content-Encoding", "gzip"}, 400, "bad_gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, base, tt.body, false, tt.header...)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, out)
			}
			if tt.status < 300 {
				// The answer names the project, for the recorder's link
				// to the replay.
				var a struct {
					Stored, Duplicate bool
					Project           int64
				}
				want := project.ID
				if tt.body.(body).Key == strict {
					want = strictProject.ID
				}
				if err := json.Unmarshal([]byte(out), &a); err != nil || !a.Stored || a.Duplicate != (tt.status == 200) || a.Project != want {
					t.Fatalf("answer %s, want stored in project %d", out, want)
				}
			}
			if tt.code != "" {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(out), &e); err != nil || e.Error.Code != tt.code || e.Error.Message == "" {
					t.Fatalf("body %s, want error code %s", out, tt.code)
				}
			}
		})
	}
	// Only the two accepted batches were stored.
	waitSession(t, base, project.ID, "s1", 1)
	waitSession(t, base, strictProject.ID, "s3", 1)
	var list struct{ Sessions []sessionJSON }
	getJSON(t, base+"/api/v1/sessions", &list)
	if len(list.Sessions) != 2 {
		t.Errorf("%d sessions stored, want 2: %+v", len(list.Sessions), list.Sessions)
	}

	// A preflight from any page is answered; the key decides later.
	req, _ := http.NewRequest("OPTIONS", base+"/api/v1/ingest", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPages(t *testing.T) {
	base, _ := start(t)
	owner := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/", 200, "No sessions recorded yet"},
		{"/projects/1/sessions/nope", 404, "no such session"},
		{"/projects/nope/sessions/nope", 404, "no such session"},
		{"/demo/", 200, `data-key="ph_`},
		{"/demo/checkout.html", 200, `id="password"`},
		{"/playhead.js", 200, ""},
		{"/assets/player.js", 200, ""},
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ok"},
	} {
		resp, err := owner.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("GET %s: %d, want %d containing %q", tt.path, resp.StatusCode, tt.status, tt.want)
		}
	}
}

func ingestRate(per float64, burst int) ingest.Rate { return ingest.Rate{Per: per, Burst: burst} }
