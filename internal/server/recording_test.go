package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
)

type chunkJSON struct {
	Window   string `json:"window"`
	Pending  bool   `json:"pending"`
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
	StartMS  int64  `json:"start_ms"`
	EndMS    int64  `json:"end_ms"`
	Events   int    `json:"events"`
	Full     bool   `json:"full"`
}

// A recording compacted into chunks reads back as it was sent: whole,
// by window, by time range and in every encoding; and retries of its
// batches are still told apart.
func TestRecordingCompacted(t *testing.T) {
	base, data := start(t, func(c *server.Config) {
		c.CompactQuiet, c.CompactEvery = 0, 20*time.Millisecond
	})
	project := newProject(t, data)
	rec, err := recordings.Load(recordings.TwoWindows)
	if err != nil {
		t.Fatal(err)
	}
	const session = "compacted"
	var batches []body
	for _, w := range rec.Windows {
		for seq, i := 0, 0; i < len(w.Events); seq, i = seq+1, i+7 {
			b := body{Key: project.Key, Session: session, Window: w.ID, Seq: seq, Events: w.Events[i:min(i+7, len(w.Events))]}
			if status, out := post(t, base, b, seq%2 == 0); status != http.StatusAccepted {
				t.Fatalf("window %s seq %d: %d %s", w.ID, seq, status, out)
			}
			batches = append(batches, b)
		}
	}
	url := sessionURL(base, project.ID, session)
	var index struct{ Chunks []chunkJSON }
	deadline := time.Now().Add(20 * time.Second)
	for {
		index.Chunks = nil
		if status := getJSON(t, url+"/chunks", &index); status != http.StatusOK {
			t.Fatalf("chunks: %d", status)
		}
		pending := 0
		for _, c := range index.Chunks {
			if c.Pending {
				pending++
			}
		}
		if pending == 0 && len(index.Chunks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not compacted: %+v", index.Chunks)
		}
		time.Sleep(20 * time.Millisecond)
	}
	events := 0
	for _, c := range index.Chunks {
		events += c.Events
		if c.FirstSeq == 0 && !c.Full {
			t.Errorf("window %s's first chunk does not start with a full snapshot: %+v", c.Window, c)
		}
	}
	if events != rec.Facts().Events {
		t.Errorf("the chunks hold %d events, the recording %d", events, rec.Facts().Events)
	}

	want, _ := json.Marshal(rec.Events())
	var got json.RawMessage
	getJSON(t, url+"/events", &got)
	assertSameEvents(t, "merged", got, want)
	for _, w := range rec.Windows {
		var one json.RawMessage
		getJSON(t, url+"/events?window="+w.ID, &one)
		all, _ := json.Marshal(w.Events)
		assertSameEvents(t, "window "+w.ID, one, all)
	}

	// A time range gives the events in it, from ≤ timestamp < to.
	all := rec.Events()
	from, to := recordings.Timestamp(all[len(all)/3]), recordings.Timestamp(all[2*len(all)/3])
	var inRange []json.RawMessage
	for _, e := range all {
		if ts := recordings.Timestamp(e); ts >= from && ts < to {
			inRange = append(inRange, e)
		}
	}
	want, _ = json.Marshal(inRange)
	getJSON(t, fmt.Sprintf("%s/events?from=%d&to=%d", url, from, to), &got)
	assertSameEvents(t, "from–to", got, want)

	// zstd when the client takes it, gzip else.
	for _, enc := range []string{"zstd", "gzip, deflate", "identity"} {
		req, _ := http.NewRequest("GET", url+"/events", nil)
		req.Header.Set("Accept-Encoding", enc)
		req.Header.Set("Authorization", "Bearer "+servertest.Token(base))
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantEnc := map[string]string{"zstd": "zstd", "gzip, deflate": "gzip", "identity": ""}[enc]
		if got := resp.Header.Get("Content-Encoding"); got != wantEnc {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", enc, got, wantEnc)
		}
		if wantEnc == "zstd" {
			d, _ := zstd.NewReader(nil)
			if raw, err = d.DecodeAll(raw, nil); err != nil {
				t.Fatalf("zstd answer: %v", err)
			}
		}
		if wantEnc != "gzip" {
			want, _ := json.Marshal(rec.Events())
			assertSameEvents(t, enc, raw, want)
		}
	}

	// Retries of compacted batches: the same events are a duplicate,
	// others a conflict.
	b := batches[1]
	if status, out := post(t, base, b, false); status != http.StatusOK || !strings.Contains(out, `"duplicate":true`) {
		t.Errorf("retry of a compacted batch: %d %s, want 200 duplicate", status, out)
	}
	b.Events = b.Events[1:]
	if status, out := post(t, base, b, false); status != http.StatusConflict {
		t.Errorf("other events under a compacted batch's key: %d %s, want 409", status, out)
	}

	for _, q := range []string{"from=x", "to=1.5", "from=10&to=10", "from=20&to=10"} {
		resp, err := servertest.Get(url + "/events?" + q)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), `"invalid_param"`) {
			t.Errorf("events?%s: %d %s, want 400 invalid_param", q, resp.StatusCode, raw)
		}
	}
	if status := getJSON(t, sessionURL(base, project.ID, "nope")+"/chunks", nil); status != http.StatusNotFound {
		t.Errorf("chunks of no session: %d, want 404", status)
	}
}
