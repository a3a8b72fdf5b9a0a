package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
)

// liveMessage is one server-sent event of a live session.
type liveMessage struct {
	id, event string
	Window    string            `json:"window"`
	Events    []json.RawMessage `json:"events"`
}

// follow opens the session's live stream and sends its messages down the
// returned channel until the stream ends.
func follow(t *testing.T, url, lastID string) <-chan liveMessage {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := servertest.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	out := make(chan liveMessage, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var m liveMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.event != "" {
					out <- m
				}
				m = liveMessage{}
			case strings.HasPrefix(line, "id: "):
				m.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(line[6:]), &m)
			}
		}
	}()
	return out
}

// next waits for the stream's next message.
func next(t *testing.T, ch <-chan liveMessage) liveMessage {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("live stream ended")
		}
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no live message in 20 s")
	}
	return liveMessage{}
}

func moveEvent(ts int64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":1,"timeOffset":0}]},"timestamp":%d}`, ts))
}

func timestamps(events []json.RawMessage) []int64 {
	var out []int64
	for _, e := range events {
		var v struct{ Timestamp int64 }
		json.Unmarshal(e, &v)
		out = append(out, v.Timestamp)
	}
	return out
}

// A session in progress is followed as it is recorded: each new batch's
// events arrive once, in order, per window, whether the batches before
// were compacted into chunks meanwhile or not; a stream taken up again
// from its last message's id sends nothing twice.
func TestLiveSession(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compacting=%v", compact), func(t *testing.T) {
			base, data := start(t, func(c *server.Config) {
				if compact {
					c.CompactQuiet, c.CompactEvery = 0, 20*time.Millisecond
				}
			})
			p := newProject(t, data)
			now := time.Now().UnixMilli()
			send := func(window string, seq int, events ...json.RawMessage) {
				t.Helper()
				b := body{Key: p.Key, Session: "live", Window: window, Seq: seq, Events: events}
				if status, out := post(t, base, b, false); status != http.StatusAccepted {
					t.Fatalf("ingest %s/%d: %d %s", window, seq, status, out)
				}
			}
			send("w", 0, metaEvent(now, "https://shop.example/"), moveEvent(now+1))
			waitSession(t, base, p.ID, "live", 2)
			url := sessionURL(base, p.ID, "live") + "/live"

			stream := follow(t, url, "")
			send("w", 1, moveEvent(now+10), moveEvent(now+11))
			m := next(t, stream)
			if m.event != "events" || m.Window != "w" || !slices.Equal(timestamps(m.Events), []int64{now + 10, now + 11}) {
				t.Fatalf("first message %s %s %v, want w's events at +10, +11", m.event, m.Window, timestamps(m.Events))
			}

			send("w2", 0, metaEvent(now+20, "https://shop.example/cart"))
			if m = next(t, stream); m.Window != "w2" || !slices.Equal(timestamps(m.Events), []int64{now + 20}) {
				t.Fatalf("a new window: %s %v", m.Window, timestamps(m.Events))
			}

			// Taken up again where it was: only what came since.
			if compact {
				servertest.WaitCompacted(t, sessionURL(base, p.ID, "live"))
			}
			again := follow(t, url, m.id)
			send("w", 2, moveEvent(now+30))
			if m = next(t, again); m.Window != "w" || !slices.Equal(timestamps(m.Events), []int64{now + 30}) {
				t.Fatalf("taken up again: %s %v, want w's event at +30 only", m.Window, timestamps(m.Events))
			}
		})
	}
}

// A cursor the server did not give is refused; a session that is not
// there is not found.
func TestLiveSessionRefuses(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	now := time.Now().UnixMilli()
	if status, out := post(t, base, body{Key: p.Key, Session: "s", Window: "w", Events: []json.RawMessage{metaEvent(now, "https://shop.example/")}}, false); status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", status, out)
	}
	waitSession(t, base, p.ID, "s", 1)
	for path, want := range map[string]int{
		"s/live?cursor=bm90IGpzb24": http.StatusBadRequest,
		"s/live?cursor=%25":         http.StatusBadRequest,
		"nobody/live":               http.StatusNotFound,
	} {
		resp, err := servertest.Get(sessionURL(base, p.ID, path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET …/%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
