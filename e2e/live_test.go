package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestPlayerFollowsLiveSession records the demo shop in one tab while a
// second tab plays the session: what the visitor does next (a new heading,
// a click on it) shows in the replay within seconds, the viewer can go back
// and "Go live" again; then notes and tags are written from the player.
func TestPlayerFollowsLiveSession(t *testing.T) {
	base, _ := servertest.Start(t)
	visitor := browser(t)
	do(t, visitor, "open the shop", chromedp.Navigate(base+"/demo/index.html"), chromedp.WaitVisible(chromedp.CSS("h1")))
	waitFor(t, "the recorder", func() bool { return eval[bool](t, visitor, `!!(window.playhead && window.playhead.sessionId)`) })
	eval[chromedp.Void](t, visitor, `window.playhead.flush()`)
	s := onlySession(t, base, "the session listed", nil)

	viewer, cancel := chromedp.NewContext(visitor) // a second tab
	defer cancel()
	signIn(t, viewer, base)
	do(t, viewer, "open the session in progress",
		chromedp.Navigate(base+s.path()),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-live="true"][data-following="true"][data-state="playing"]`)),
	)
	if text := eval[string](t, viewer, `document.querySelector('.ph-live').textContent`); text != "Live" {
		t.Errorf("the live button reads %q, want Live", text)
	}
	clicks := eval[int](t, viewer, `document.querySelectorAll('.ph-list-events .is-click').length`)
	total := eval[string](t, viewer, `document.querySelector('.ph-progress').getAttribute('aria-valuemax')`)

	// The visitor goes on; the recorder sends within its 2 s.
	eval[chromedp.Void](t, visitor, `document.querySelector('h1').textContent = 'Watching it live'`)
	do(t, visitor, "click the heading", chromedp.Click(chromedp.CSS("h1")))
	const within = 20 * time.Second
	if _, err := chromedp.Run(viewer, chromedp.Poll[bool](`(() => {
		const doc = document.querySelector('`+shownReplay+`').contentDocument;
		const h1 = doc && doc.querySelector('h1');
		return !!h1 && h1.textContent === 'Watching it live' })()`, chromedp.WithPollingTimeout(within))); err != nil {
		screenshot(t, viewer, "player-live-failed.png")
		t.Fatalf("the new heading is not in the replay within %s: %v", within, err)
	}
	waitFor(t, "the click in the events pane", func() bool {
		return eval[int](t, viewer, `document.querySelectorAll('.ph-list-events .is-click').length`) > clicks
	})
	if now := eval[string](t, viewer, `document.querySelector('.ph-progress').getAttribute('aria-valuemax')`); now == total {
		t.Errorf("the timeline did not grow: %s ms before and after", now)
	}
	screenshot(t, viewer, "player-live.png")

	// Back to the start, paused so that it stays there, then "Go live".
	eval[chromedp.Void](t, viewer, `window.playheadPlayer.pause(); window.playheadPlayer.seek(0)`)
	// A seek may build a new Replayer (one takes a few seeks), the one
	// before it on screen until then.
	do(t, viewer, "seek back", chromedp.WaitVisible(chromedp.CSS(`#player[data-following="false"]:not([data-state="loading"])`)))
	if text := eval[string](t, viewer, `document.querySelector('.ph-live').textContent`); text != "Go live" {
		t.Errorf("behind the edge the live button reads %q, want Go live", text)
	}
	// The start's page, once its frame is drawn.
	heading := func() string {
		return replayedNow[string](t, viewer, `doc.querySelector('h1') ? doc.querySelector('h1').textContent : ''`)
	}
	waitFor(t, "the start's heading", func() bool { return heading() == "Things for your desk" })
	do(t, viewer, "go live", chromedp.Click(chromedp.CSS(".ph-live")),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-following="true"][data-state="playing"]`)))
	waitFor(t, "the newest heading again", func() bool { return heading() == "Watching it live" })

	// A note at the moment shown, in the pane and on the timeline.
	do(t, viewer, "write a note",
		chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane="notes"]`)),
		chromedp.SendKeys(chromedp.CSS(".ph-note-text"), "The heading changed here"),
		chromedp.Click(chromedp.CSS(".ph-note-add")),
		chromedp.WaitVisible(chromedp.CSS(".ph-list-notes .is-note")),
	)
	if n := eval[int](t, viewer, `document.querySelectorAll('.ph-mark.is-note').length`); n != 1 {
		t.Errorf("%d note marks on the timeline, want 1", n)
	}
	by := eval[string](t, viewer, `document.querySelector('.ph-list-notes .ph-note-by').textContent`)
	if !strings.HasPrefix(by, servertest.OwnerEmail) {
		t.Errorf("the note's author reads %q", by)
	}
	// A tag added and taken off again.
	do(t, viewer, "tag the session",
		chromedp.SendKeys(chromedp.CSS(".ph-tag-input"), "Live Bug"),
		chromedp.Click(chromedp.CSS(".ph-tag-add")),
		chromedp.WaitVisible(chromedp.CSS(`.ph-tag[data-tag="live bug"]`)),
	)
	screenshot(t, viewer, "player-notes-tags.png")
	var detail struct{ Tags []string }
	if status := getJSONAs(t, viewer, base+"/api/v1"+s.path(), &detail); status != http.StatusOK || len(detail.Tags) != 1 || detail.Tags[0] != "live bug" {
		t.Errorf("the session's tags in the API: %d %v", status, detail.Tags)
	}
	var notes struct {
		Notes []struct{ Text, Author string }
	}
	if status := getJSONAs(t, viewer, base+"/api/v1"+s.path()+"/notes", &notes); status != http.StatusOK || len(notes.Notes) != 1 ||
		notes.Notes[0].Text != "The heading changed here" {
		t.Errorf("the session's notes in the API: %d %+v", status, notes.Notes)
	}
	do(t, viewer, "untag and delete the note",
		chromedp.Click(chromedp.CSS(`.ph-tag[data-tag="live bug"] .ph-tag-remove`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.ph-tag[data-tag="live bug"]`)),
		chromedp.Click(chromedp.CSS(".ph-list-notes .ph-note-delete")),
		chromedp.WaitNotPresent(chromedp.CSS(".ph-list-notes .is-note")),
	)
	if status := getJSONAs(t, viewer, base+"/api/v1"+s.path()+"/notes", &notes); status != http.StatusOK || len(notes.Notes) != 0 {
		t.Errorf("notes after deleting: %d %+v", status, notes.Notes)
	}
}

// replayedNow is replayed without waiting for the player to be idle: a
// live replay plays on.
func replayedNow[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return eval[T](t, ctx, `(() => { const doc = document.querySelector('`+shownReplay+`').contentDocument; return `+js+` })()`)
}

// getJSONAs reads an API answer in the browser, as its signed-in user.
func getJSONAs(t *testing.T, ctx context.Context, url string, v any) int {
	t.Helper()
	out := eval[map[string]any](t, ctx, `fetch(`+jsString(url)+`).then(async (r) => ({status: r.status, body: await r.text()}))`)
	status, _ := out["status"].(float64)
	body, _ := out["body"].(string)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Errorf("%s: %v", url, err)
	}
	return int(status)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestLiveReplayBackToTheStart opens a session in progress when all it
// holds ends with the page's snapshot, as a visitor's first batch does;
// the visitor then changes the heading. Back at the start, the replay shows
// the page as it was loaded: the first frame is just past the snapshot,
// however little of the session there was when the player opened it.
func TestLiveReplayBackToTheStart(t *testing.T) {
	base, data := servertest.Start(t)
	project := servertest.Project(t, data)
	t0 := time.Now().Add(-10 * time.Second).UnixMilli()
	text := func(id int, s string) map[string]any { return map[string]any{"type": 3, "id": id, "textContent": s} }
	send := func(seq int, events []map[string]any) { ingest(t, base, project.Key, "live", "w1", seq, events) }
	send(0, []map[string]any{
		{"type": 4, "timestamp": t0, "data": map[string]any{"href": "https://shop.example/", "width": 1280, "height": 800}},
		{"type": 2, "timestamp": t0 + 20, "data": map[string]any{"initialOffset": map[string]any{"left": 0, "top": 0}, "node": map[string]any{
			"type": 0, "id": 1, "childNodes": []map[string]any{{"type": 2, "id": 2, "tagName": "html", "attributes": map[string]any{}, "childNodes": []map[string]any{
				{"type": 2, "id": 3, "tagName": "body", "attributes": map[string]any{}, "childNodes": []map[string]any{
					{"type": 2, "id": 4, "tagName": "h1", "attributes": map[string]any{}, "childNodes": []map[string]any{text(5, "As loaded")}},
				}},
			}}},
		}}},
	})
	s := onlySession(t, base, "the session listed", nil)
	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the session in progress", chromedp.Navigate(base+s.path()),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-live="true"]:not([data-state="loading"])`)))
	heading := func() string {
		return replayedNow[string](t, ctx, `doc.querySelector('h1') ? doc.querySelector('h1').textContent : ''`)
	}
	send(1, []map[string]any{{"type": 3, "timestamp": t0 + 3000, "data": map[string]any{
		"source": 0, "texts": []map[string]any{{"id": 5, "value": "Changed later"}}, "attributes": []any{}, "removes": []any{}, "adds": []any{}}}})
	waitFor(t, "the change in the live replay", func() bool { return heading() == "Changed later" })
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.pause(); window.playheadPlayer.seek(0)`)
	do(t, ctx, "seek back", chromedp.WaitVisible(chromedp.CSS(`#player[data-following="false"]:not([data-state="loading"])`)))
	time.Sleep(500 * time.Millisecond)
	if got := heading(); got != "As loaded" {
		t.Errorf("back at the start the replay shows the heading %q, want it as loaded", got)
	}
}
