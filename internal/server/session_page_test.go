package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestSessionPageFoldsManySignals records a page that fails fifteen times:
// the session's page lists the first twelve moments worth watching and
// folds the other three under "3 more", numbered on from 13, each still a
// link to its moment.
func TestSessionPageFoldsManySignals(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	at := time.Now().Add(-time.Hour).UnixMilli()
	events := []map[string]any{{"type": 4, "timestamp": at, "data": map[string]any{"href": "https://shop.example/", "width": 1280, "height": 800}}}
	for i := range 15 {
		events = append(events, map[string]any{"type": 5, "timestamp": at + int64(i+1)*1000, "data": map[string]any{
			"tag": "playhead/error", "payload": map[string]any{"kind": "error", "message": fmt.Sprintf("TypeError: failure %d", i+1)}}})
	}
	if status, out := post(t, base, map[string]any{"key": p.Key, "session": "failing", "window": "w1", "seq": 0, "events": events}, false); status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", status, out)
	}
	owner := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	var page string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(page, "failure 15"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the session's page never listed its fifteenth error: %s", page)
		}
		_, page = getPage(t, owner, fmt.Sprintf("%s/projects/%d/sessions/failing", base, p.ID))
	}
	shown, more, ok := strings.Cut(page, `<details class="more-signals"><summary>3 more</summary>`)
	if !ok {
		t.Fatalf("the page folds no moments under “3 more”: %s", page)
	}
	more, _, _ = strings.Cut(more, "</details>")
	if n := strings.Count(shown, "<li><a href=\"#\" data-seek="); n != 12 {
		t.Errorf("%d moments listed before the fold, want 12", n)
	}
	if !strings.Contains(more, `<ol class="signals" start="13">`) || strings.Count(more, "<li><a href=\"#\" data-seek=") != 3 {
		t.Errorf("the folded moments: %s", more)
	}
	for i := 13; i <= 15; i++ {
		if !strings.Contains(more, fmt.Sprintf("failure %d<", i)) {
			t.Errorf("error %d is not among the folded moments", i)
		}
	}
	if !strings.Contains(more, fmt.Sprintf(`data-seek="%d"`, 15000)) {
		t.Errorf("the last error's moment is not a link to 0:15: %s", more)
	}
}
