package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/synth"
)

// TestReplayCompactedSession plays a session compacted into several
// chunks: the player shows the first frame from the first chunk, appends
// the others as they come and plays across their boundaries, and a moment
// looks the same whether it is reached in the Replayer that holds
// everything or in one built for it from the chunk before it.
func TestReplayCompactedSession(t *testing.T) {
	base, data := servertest.Start(t, func(c *server.Config) {
		c.Ingest.RateClient.Per = 0
		c.CompactQuiet, c.CompactEvery = time.Millisecond, 50*time.Millisecond
	})
	project := servertest.Project(t, data)
	if _, err := synth.Send(context.Background(), http.DefaultClient, base, project.Key, "long", 3, 12, time.Now().Add(-time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	api := fmt.Sprintf("%s/api/v1/projects/%d/sessions/long", base, project.ID)
	type chunk struct {
		Pending bool  `json:"pending"`
		Start   int64 `json:"start_ms"`
		End     int64 `json:"end_ms"`
		Full    bool  `json:"full"`
	}
	var chunks []chunk
	waitFor(t, "the session compacted", func() bool {
		var index struct{ Chunks []chunk }
		resp, err := servertest.Get(api + "/chunks")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&index)
		chunks = index.Chunks
		for _, c := range chunks {
			if c.Pending {
				return false
			}
		}
		return len(chunks) > 0
	})
	if len(chunks) < 3 {
		t.Fatalf("12 minutes make %d chunks, want several: %+v", len(chunks), chunks)
	}
	start, end := chunks[0].Start, chunks[len(chunks)-1].End
	page := fmt.Sprintf("%s/projects/%d/sessions/long", base, project.ID)
	dom := `(() => { const f = document.querySelector('#player iframe'); const d = f && f.contentDocument; return d && d.body ? d.body.innerHTML : '' })()`

	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the player", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	// The Replayer ends up with every chunk's events.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		fmt.Sprintf(`window.playheadPlayer.replayer && window.playheadPlayer.replayer.getMetaData().totalTime === %d`, end-start),
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the player did not fetch every chunk: %v", err)
	}
	// Playing across the end of the first chunk goes on into the second.
	boundary := chunks[1].Start - start
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d); window.playheadPlayer.play()`, boundary-300))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		fmt.Sprintf(`Number(document.querySelector('#player').dataset.time) > %d`, boundary+300),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the replay did not play past the first chunk: %v", err)
	}
	if state := eval[string](t, ctx, `document.querySelector('#player').dataset.state`); state != "playing" {
		t.Errorf("past the first chunk the player is %q, want playing", state)
	}
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.pause()`)

	// A moment in the last chunk but one, reached both ways.
	at := chunks[len(chunks)-2].Start - start + 20_000
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, at))
	whole := eval[string](t, ctx, dom)

	do(t, ctx, "open the player again", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.pause(); window.playheadPlayer.seek(%d)`, at))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'paused'`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the seek did not finish: %v", err)
	}
	if got := eval[string](t, ctx, `document.querySelector('#player').dataset.time`); got != fmt.Sprint(at) {
		t.Errorf("after the seek the player is at %s ms, want %d", got, at)
	}
	rebuilt := eval[string](t, ctx, dom)
	if len(whole) < 10_000 || rebuilt != whole {
		t.Errorf("the moment differs: %d bytes of page from the whole replay, %d from one built at the chunk before it", len(whole), len(rebuilt))
	}
}
