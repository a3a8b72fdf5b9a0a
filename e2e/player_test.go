package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/playhead/playhead/internal/server/servertest"
)

// The moments of idleRecording, in ms from its first event.
const (
	idleClick   = 5000
	idleError   = 6000
	idleRequest = 7000
	idleFrom    = 10_000  // the last input before the gap
	idleTo      = 130_000 // input again, two minutes later
	idleEnd     = 140_000
)

// idleRecording is one window of a shop's page as Playhead's recorder
// writes it: a click on "Pay now", a JS error and a failed request, then
// two minutes without input, after which the heading changes.
func idleRecording(start int64) []map[string]any {
	var ev []map[string]any
	add := func(at int64, typ int, data map[string]any) {
		ev = append(ev, map[string]any{"type": typ, "timestamp": start + at, "data": data})
	}
	custom := func(at int64, tag string, payload map[string]any) {
		add(at, 5, map[string]any{"tag": tag, "payload": payload})
	}
	text := func(id int, s string) map[string]any { return map[string]any{"type": 3, "id": id, "textContent": s} }
	elem := func(id int, tag string, attrs map[string]any, kids ...map[string]any) map[string]any {
		if kids == nil {
			kids = []map[string]any{}
		}
		return map[string]any{"type": 2, "id": id, "tagName": tag, "attributes": attrs, "childNodes": kids}
	}
	add(0, 4, map[string]any{"href": "https://shop.example/checkout", "width": 1280, "height": 800})
	add(10, 2, map[string]any{"initialOffset": map[string]any{"left": 0, "top": 0}, "node": map[string]any{
		"type": 0, "id": 1, "childNodes": []map[string]any{
			elem(2, "html", map[string]any{},
				elem(3, "head", map[string]any{}),
				elem(4, "body", map[string]any{"style": "font-family: sans-serif; padding: 40px"},
					elem(5, "h1", map[string]any{}, text(6, "Checkout")),
					elem(7, "button", map[string]any{"id": "pay", "style": "font-size: 24px"}, text(8, "Pay now")),
					elem(9, "div", map[string]any{"class": "playhead-block", "rr_width": "400px", "rr_height": "120px"}),
				)),
		},
	}})
	custom(20, "playhead/page", map[string]any{"url": "https://shop.example/checkout", "referrer": "", "title": "Checkout", "nav": "load"})
	custom(30, "playhead/device", map[string]any{"viewport": map[string]any{"w": 1280, "h": 800}, "screen": map[string]any{"w": 1920, "h": 1080},
		"dpr": 1, "touch": false, "orientation": "landscape", "language": "en-GB", "timezone": "Europe/London"})
	move := func(at int64, x, y int) {
		add(at, 3, map[string]any{"source": 1, "positions": []map[string]any{{"x": x, "y": y, "id": 7, "timeOffset": 0}}})
	}
	for at := int64(500); at <= idleFrom; at += 500 {
		move(at, 100+int(at/100), 200)
	}
	add(idleClick, 3, map[string]any{"source": 2, "type": 2, "id": 7, "x": 120, "y": 120})
	custom(idleError, "playhead/error", map[string]any{"kind": "error", "message": "TypeError: pay is not a function",
		"stack": "TypeError: pay is not a function\n    at HTMLButtonElement.onclick (checkout.js:12:5)", "source": "https://shop.example/checkout.js", "line": 12, "column": 5})
	custom(idleRequest, "playhead/request", map[string]any{"initiator": "fetch", "method": "POST", "url": "https://shop.example/api/pay",
		"status": 500, "duration": 230, "failure": "http"})
	add(idleTo, 3, map[string]any{"source": 0, "texts": []map[string]any{{"id": 6, "value": "Back again"}}, "attributes": []any{}, "removes": []any{}, "adds": []any{}})
	for at := int64(idleTo); at <= idleEnd; at += 500 {
		move(at, 400, 300+int((at-idleTo)/100))
	}
	return ev
}

// TestPlayerTimelineAndPanes opens a recording with an error, a failed
// request and a two-minute idle gap: a link's ?t= opens it at that moment,
// a marker and the seek bar seek, Space plays and pauses wherever focus is,
// skipping inactivity jumps the gap, the console and network panes show
// the error and the request at their moment, and the seek bar stays usable
// on a phone.
func TestPlayerTimelineAndPanes(t *testing.T) {
	base, data := servertest.Start(t)
	project := servertest.Project(t, data)
	start := time.Now().Add(-time.Hour).UnixMilli()
	ingest(t, base, project.Key, "idle", "w1", 0, idleRecording(start))
	s := onlySession(t, base, "the session's inactivity", func(s session) bool {
		return s.SignalCounts["inactivity"] == 1
	})

	ctx := browser(t)
	signIn(t, ctx, base)
	page := base + s.path()
	state := func() string { return eval[string](t, ctx, `document.getElementById('player').dataset.state`) }
	at := func() int {
		n, _ := strconv.Atoi(eval[string](t, ctx, `document.getElementById('player').dataset.time`))
		return n
	}
	waitState := func(want string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('player').dataset.state === %q`, want),
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the player is %q, want %q", state(), want)
		}
	}

	// ?t=1m opens the replay a minute in.
	do(t, ctx, "open the player at 1m", chromedp.Navigate(page+"?t=1m"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="paused"]`)))
	if got := at(); got != 60_000 {
		t.Errorf("?t=1m opens the replay at %d ms, want 60000", got)
	}
	// The page's snapshot came: nothing is said over the replay.
	if eval[bool](t, ctx, `!document.querySelector('.ph-blank').hidden`) {
		t.Error("the player says no snapshot was recorded over a recording that has one")
	}
	// The page asks for the session and its chunk index while the player's
	// script loads (preload), and the player takes those answers: each is
	// fetched once, and every segment of events once too.
	fetched := eval[map[string]int](t, ctx, `(() => { const n = {}; for (const e of performance.getEntriesByType('resource'))
		if (e.name.includes('/api/')) { const k = new URL(e.name).pathname + new URL(e.name).search; n[k] = (n[k] || 0) + 1 } return n })()`)
	api := fmt.Sprintf("/api/v1/projects/%d/sessions/%s", s.Project, s.ID)
	if fetched[api] != 1 || fetched[api+"/chunks"] != 1 {
		t.Errorf("the session and its chunk index were fetched %d and %d times, want once each: %v", fetched[api], fetched[api+"/chunks"], fetched)
	}
	by := eval[string](t, ctx, fmt.Sprintf(`performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === %q)?.initiatorType ?? ''`, api+"/chunks"))
	if by != "link" {
		t.Errorf("the chunk index was fetched by %q, want by the page's preload link", by)
	}
	for k, n := range fetched {
		if n > 1 {
			t.Errorf("%s fetched %d times", k, n)
		}
	}
	// Every moment of the timeline is a marker; the error's jumps to it.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.ph-mark.is-error, .ph-mark.is-request, .ph-mark.is-click, .ph-mark.is-page').length >= 4`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the timeline's markers: %s", eval[string](t, ctx, `[...document.querySelectorAll('.ph-mark')].map(m => m.getAttribute('aria-label')).join('\n')`))
	}
	if label := eval[string](t, ctx, `document.querySelector('.ph-mark.is-error').getAttribute('aria-label')`); label != "0:06 · Error: TypeError: pay is not a function" {
		t.Errorf("the error's marker says %q", label)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.ph-idle-stretch').length`); n != 1 {
		t.Errorf("the timeline shades %d inactive stretches, want 1", n)
	}
	// Hovering a marker says what it is; leaving it hides that again.
	mark := eval[[]float64](t, ctx, `(() => { const m = document.querySelector('.ph-mark.is-error'); m.scrollIntoView({ block: "center" }); const r = m.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2, r.bottom + 40] })()`)
	tip := func() string {
		return eval[string](t, ctx, `(() => { const tip = document.querySelector('.ph-tip'); return tip.hidden ? '' : tip.textContent })()`)
	}
	do(t, ctx, "hover the error's marker", chromedp.MouseEvent(chromedp.MouseMoved, mark[0], mark[1]))
	if got := tip(); got != "0:06 · Error: TypeError: pay is not a function" {
		t.Errorf("hovering the error's marker shows %q", got)
	}
	do(t, ctx, "leave the marker", chromedp.MouseEvent(chromedp.MouseMoved, mark[0], mark[2]))
	if got := tip(); got != "" {
		t.Errorf("the marker's tip still shows %q with the pointer away", got)
	}
	do(t, ctx, "click the error's marker", chromedp.Click(chromedp.CSS(`.ph-mark.is-error`)))
	waitFor(t, "the player at the error", func() bool { return at() == idleError })

	// The console pane: the error is the current row, with its stack.
	do(t, ctx, "open the console pane", chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=console]`)))
	// The panes follow the replay once its frame is drawn.
	current := func(pane string) string {
		var row string
		waitFor(t, "the "+pane+" pane's current row", func() bool {
			row = eval[string](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector('.ph-pane[data-pane=%s] .ph-item.is-current'); return r ? r.dataset.at + ' ' + r.className + ' ' + r.textContent : '' })()`, pane))
			return row != ""
		})
		return row
	}
	if got := current("console"); !strings.HasPrefix(got, "6000 ") || !strings.Contains(got, "TypeError: pay is not a function") || !strings.Contains(got, "checkout.js:12:5") {
		t.Errorf("the console pane's current row at the error is %q", got)
	}
	// The network pane: before the request it is still to come; at it, it
	// is current and marked failed.
	do(t, ctx, "open the network pane", chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=network]`)))
	// The pane may still show the minute the player opened at until the
	// frame after the seek is drawn.
	waitFor(t, "the request of 0:07 to be still to come at 0:06", func() bool {
		return strings.Contains(eval[string](t, ctx, `document.querySelector('.ph-pane[data-pane=network] .ph-item').className`), "is-future")
	})
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, idleRequest))
	waitFor(t, "the player at the request", func() bool { return at() == idleRequest })
	if got := current("network"); !strings.Contains(got, "is-failed") || !strings.Contains(got, "POST") || !strings.Contains(got, "https://shop.example/api/pay") || !strings.Contains(got, "500") || !strings.Contains(got, "230 ms") {
		t.Errorf("the network pane's current row at the request is %q", got)
	}
	do(t, ctx, "open the events pane", chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=events]`)))
	if got := eval[string](t, ctx, `document.querySelector('.ph-pane[data-pane=events]').textContent`); !strings.Contains(got, "ClickPay now") {
		t.Errorf("the events pane lacks the click on “Pay now”: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.ph-address').textContent + ' ' + document.querySelector('.ph-viewport').textContent`); got != "https://shop.example/checkout 1280×800" {
		t.Errorf("the address bar says %q", got)
	}
	screenshot(t, ctx, "player-panes.png")

	// A click on the seek bar seeks to its place.
	bar := seekBar(t, ctx)
	do(t, ctx, "click the seek bar at a quarter", chromedp.MouseClickXY(bar.X+bar.W/4, bar.Y+bar.H/2))
	waitFor(t, fmt.Sprintf("the seek to a quarter (at %d)", at()), func() bool { return math.Abs(float64(at())-float64(idleEnd)/4) < float64(idleEnd)/50 })

	// Space plays and pauses, even with the speed menu focused, whose
	// value it leaves alone; 8 sets the speed.
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, idleFrom-1000))
	do(t, ctx, "focus the speed menu", chromedp.Focus(chromedp.CSS(`.ph-speed`)))
	do(t, ctx, "press 1", chromedp.KeyEvent("1"))
	do(t, ctx, "press Space", chromedp.KeyEvent(" "))
	waitState("playing")
	// Skipping inactivity (on by default) jumps the two minutes: at 1× the
	// replay is past them in moments.
	waitFor(t, "the replay past the gap", func() bool { return at() >= idleTo+200 })
	if v := eval[string](t, ctx, `document.querySelector('.ph-speed').value`); v != "1" {
		t.Errorf("the speed menu reads %s after Space, want 1", v)
	}
	do(t, ctx, "press Space again", chromedp.KeyEvent(" "))
	waitState("paused")
	paused := at()
	if paused < idleTo || paused > idleEnd {
		t.Errorf("paused at %d ms, want past the gap", paused)
	}
	if got := replayed[string](t, ctx, `doc.querySelector('h1').textContent`); got != "Back again" {
		t.Errorf("past the gap the page reads %q", got)
	}
	// Without skipping, the replay plays into the gap.
	do(t, ctx, "turn skipping off", chromedp.Click(chromedp.CSS(`.ph-skip`)))
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d); window.playheadPlayer.play()`, idleFrom-500))
	waitFor(t, "the replay in the gap", func() bool { return at() > idleFrom+500 })
	if got := at(); got >= idleTo-1000 {
		t.Errorf("with skipping off the replay is at %d ms, past the gap", got)
	}
	do(t, ctx, "shift+left goes back 10 s", chromedp.KeyEvent(kb.ArrowLeft, chromedp.KeyModifiers(chromedp.ModifierShift)))
	waitFor(t, "the replay 10 s back", func() bool { return at() < idleFrom-5000 })
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.pause()`)
	do(t, ctx, "press 8", chromedp.KeyEvent("8"))
	if v := eval[string](t, ctx, `document.querySelector('.ph-speed').value`); v != "8" {
		t.Errorf("the speed menu reads %s after 8, want 8", v)
	}
	do(t, ctx, "press ?", chromedp.KeyEvent("?"))
	if eval[bool](t, ctx, `document.querySelector('.ph-help').hidden`) {
		t.Error("? shows no shortcuts")
	}
	do(t, ctx, "press Escape", chromedp.KeyEvent(kb.Escape))
	// The link at this moment opens the replay there.
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(90500)`)
	do(t, ctx, "copy the link", chromedp.Click(chromedp.CSS(`.ph-link`)))
	waitFor(t, "the link", func() bool { return eval[string](t, ctx, `document.getElementById('player').dataset.link || ''`) != "" })
	if link := eval[string](t, ctx, `document.getElementById('player').dataset.link`); link != page+"?t=90" {
		t.Errorf("the link at 1:30 is %q, want %q", link, page+"?t=90")
	}

	// At 1280×800 and 1920×1080, and on a phone, where the seek bar stays
	// wide enough to use.
	for _, size := range []struct {
		w, h   int64
		mobile bool
		name   string
	}{{1280, 800, false, "player-1280.png"}, {1920, 1080, false, "player-1920.png"}, {390, 844, true, "player-390.png"}} {
		do(t, ctx, "open the player at "+size.name, chromedp.EmulateViewport(size.w, size.h),
			chromedp.Navigate(page+"?t=6"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="paused"]`)))
		// As the page opens, unscrolled: on a wide screen the replay and
		// its controls fit the window; everywhere every pane's tab shows
		// whole, counts and all.
		do(t, ctx, "wait for the panes", chromedp.WaitVisible(chromedp.CSS(`#player[data-panes="filled"]`)))
		fit := eval[[]string](t, ctx, fmt.Sprintf(`(() => {
			const out = [], box = (s) => document.querySelector(s).getBoundingClientRect();
			if (%t) for (const s of ['.ph-stage', '.ph-progress', '.ph-controls', '.ph-panes'])
				if (box(s).bottom > innerHeight + 1) out.push(s + ' ends at ' + Math.round(box(s).bottom) + ' of ' + innerHeight);
			const panes = box('.ph-panes');
			for (const tab of document.querySelectorAll('.ph-pane-tab')) {
				const r = tab.getBoundingClientRect();
				if (r.left < panes.left - 1 || r.right > panes.right + 1) out.push('the tab ' + tab.textContent + ' at ' + Math.round(r.left) + '–' + Math.round(r.right) + ' in ' + Math.round(panes.left) + '–' + Math.round(panes.right));
			}
			return out;
		})()`, !size.mobile))
		for _, f := range fit {
			t.Errorf("at %d×%d: %s", size.w, size.h, f)
		}
		bar := seekBar(t, ctx)
		if bar.W < float64(size.w)*0.6 || bar.H < 24 {
			t.Errorf("at %d px the seek bar is %.0f×%.0f px", size.w, bar.W, bar.H)
		}
		if size.mobile {
			do(t, ctx, "click the seek bar", chromedp.MouseClickXY(bar.X+bar.W*3/4, bar.Y+bar.H/2))
			waitFor(t, fmt.Sprintf("the seek on a phone (at %d, bar %+v)", at(), bar), func() bool { return math.Abs(float64(at())-float64(idleEnd)*3/4) < float64(idleEnd)/30 })
		}
		screenshot(t, ctx, size.name)
	}
}

// seekBar scrolls the player's seek bar into view and says where it is in
// the viewport.
func seekBar(t *testing.T, ctx context.Context) (box struct{ X, Y, W, H float64 }) {
	t.Helper()
	js := `(() => { const b = document.querySelector('.ph-progress'); b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect(); return JSON.stringify({X: r.left, Y: r.top, W: r.width, H: r.height}) })()`
	if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &box); err != nil {
		t.Fatal(err)
	}
	return box
}

// TestPlayerSaysWhenNoSnapshotCame opens a recording whose page snapshot
// never reached the server (its batch lost or refused) while the pointer's
// moves did: rrweb has no page to draw, and the player says so over the
// empty stage instead of showing a blank page without a word.
func TestPlayerSaysWhenNoSnapshotCame(t *testing.T) {
	base, data := servertest.Start(t)
	project := servertest.Project(t, data)
	at := time.Now().Add(-time.Hour).UnixMilli()
	events := []map[string]any{{"type": 4, "timestamp": at, "data": map[string]any{"href": "https://shop.example/", "width": 1280, "height": 800}}}
	for i := int64(1); i < 20; i++ {
		events = append(events, map[string]any{"type": 3, "timestamp": at + i*500, "data": map[string]any{
			"source": 1, "positions": []map[string]any{{"x": 10 * i, "y": 10, "id": 1, "timeOffset": 0}}}})
	}
	ingest(t, base, project.Key, "unseen", "w1", 0, events)
	s := onlySession(t, base, "the session", nil)
	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the session", chromedp.Navigate(base+s.path()), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	blank := func() string {
		return eval[string](t, ctx, `(() => { const b = document.querySelector('.ph-blank'); return b && !b.hidden ? b.textContent : '' })()`)
	}
	if got := blank(); !strings.Contains(got, "No snapshot of the page was recorded") {
		t.Errorf("over a recording with no snapshot the stage says %q", got)
	}
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(8000)`)
	waitFor(t, "the player at 0:08", func() bool {
		return eval[string](t, ctx, `document.getElementById('player').dataset.time`) == "8000"
	})
	if blank() == "" {
		t.Error("the notice went with a seek, though no snapshot came")
	}
	screenshot(t, ctx, "player-no-snapshot.png")
}
