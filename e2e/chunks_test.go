package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/synth"
)

// TestReplayCompactedSession plays a session compacted into several
// chunks: the player shows the first frame from the first chunk, appends
// those of the next minutes as they come (not the whole session) and plays
// across their boundaries, and a moment looks the same whether it is
// reached in a Replayer that appended its chunk or in one built for it
// from the chunk before it.
func TestReplayCompactedSession(t *testing.T) {
	base, project := compactedSession(t, "long", 3, 30)
	api := fmt.Sprintf("%s/api/v1/projects/%d/sessions/long", base, project.ID)
	chunks := servertest.Chunks(t, api)
	if len(chunks) < 3 {
		t.Fatalf("30 minutes make %d chunks, want several: %+v", len(chunks), chunks)
	}
	start, end := chunks[0].Start, chunks[len(chunks)-1].End
	page := fmt.Sprintf("%s/projects/%d/sessions/long", base, project.ID)
	// The page, without the :hover class rrweb puts on the element under
	// the pointer: that follows the pointer's path to the moment.
	dom := `(() => { const f = document.querySelector('` + shownReplay + `'); const d = f && f.contentDocument; if (!d || !d.body) return '';
		const b = d.body.cloneNode(true);
		for (const e of b.querySelectorAll('[class~=":hover"]')) { e.classList.remove(':hover'); if (e.classList.length === 0) e.removeAttribute('class') }
		return b.innerHTML })()`

	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the player", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	// The page asks for the first chunk's events while the player's script
	// loads (preload), and the player takes that answer.
	first := fmt.Sprintf("/api/v1/projects/%d/sessions/long/events?from=%d&to=%d", project.ID, chunks[0].Start, chunks[1].Start)
	if by := eval[[]string](t, ctx, fmt.Sprintf(`performance.getEntriesByType('resource').filter((e) => { const u = new URL(e.name); return u.pathname + u.search === %q }).map((e) => e.initiatorType)`, first)); !slices.Equal(by, []string{"link"}) {
		t.Errorf("%s was fetched by %q, want once, by the page's preload link", first, by)
	}
	// The Replayer takes the chunks after the first as they come, those of
	// the next minutes only (the rest as the replay moves on).
	holds := func(ms int64) string {
		return fmt.Sprintf(`(() => { const r = window.playheadPlayer.replayer; return !!r && r.getMetaData().endTime - %d >= %d })()`, start, ms)
	}
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, max(0, chunks[1].Start-start-60_000)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](holds(chunks[1].End-start), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the player did not fetch the chunk after the first: %v", err)
	}
	if eval[bool](t, ctx, holds(end-start)) {
		t.Errorf("on opening, the player holds all %d minutes", (end-start)/60_000)
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

	// A moment in the last chunk that ends within the first ten minutes
	// (what one Replayer holds), first in the Replayer of the first chunk,
	// which appends those after it as seeks of half a minute move it on.
	// At each step, the page is the one the same Replayer shows when it
	// goes back to the start and comes to that moment at once: a step
	// forward applies the events since the moment before to the page as it
	// stands, which rrweb did not always do as applying them in one go.
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(0)`)
	k := 1
	for k+1 < len(chunks)-1 && chunks[k+1].End-start < 10*60_000 {
		k++
	}
	at := chunks[k].Start - start + min(20_000, (chunks[k].End-chunks[k].Start)/2)
	for pos := int64(0); pos < at; {
		pos = min(pos+30_000, at)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](holds(pos+1), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("the player did not fetch ahead of %d ms: %v", pos, err)
		}
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, pos))
		stepped := replayed[string](t, ctx, dom)
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(0); window.playheadPlayer.seek(%d)`, pos))
		if again := replayed[string](t, ctx, dom); again != stepped {
			t.Errorf("at %d ms the page differs: %d bytes reached in steps, %d from the start at once; %s", pos, len(stepped), len(again), firstDifference(stepped, again))
		}
	}
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
		t.Errorf("the moment differs: %d bytes of page from the whole replay, %d from one built at the chunk before it; %s", len(whole), len(rebuilt), firstDifference(whole, rebuilt))
	}

	// While a seek far ahead loads, the stage goes on showing the moment
	// before it, not an empty box; once the new moment is built, only its
	// replay is left.
	shown := `[...document.querySelectorAll('#player .replayer-wrapper')].filter((w) => getComputedStyle(w).visibility !== 'hidden' && w.querySelector('iframe')?.contentDocument?.body?.childElementCount > 0).length`
	far := (chunks[len(chunks)-1].Start+end)/2 - start
	if got := eval[string](t, ctx, fmt.Sprintf(`(() => { window.playheadPlayer.seek(%d); return document.querySelector('#player').dataset.state + ' ' + %s })()`, far, shown)); got != "loading 1" {
		t.Errorf("right after a seek far ahead the player is %q, want loading while showing the replay before (loading 1)", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'paused'`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the seek far ahead did not finish: %v", err)
	}
	waitFor(t, "only the new replay on the stage", func() bool {
		return eval[int](t, ctx, `document.querySelectorAll('#player .replayer-wrapper').length`) == 1 && eval[int](t, ctx, shown) == 1
	})

	// A step forward pressed while a far moment loads steps from that
	// moment, not from the one still on the stage.
	back := (chunks[1].Start - start) / 2
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d); document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }))`, back))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'paused'`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the seek back and the step did not finish: %v", err)
	}
	if got := eval[string](t, ctx, `document.querySelector('#player').dataset.time`); got != fmt.Sprint(back+5000) {
		t.Errorf("→ pressed while %d ms loads shows %s ms, want %d", back, got, back+5000)
	}

	// Pressing the seek bar fetches the moment it points at, far ahead,
	// while the button is down; the release seeks there with what was
	// fetched, asking for nothing again.
	fetches := watchEventFetches(t, ctx)
	do(t, ctx, "open the player once more", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	before := fetches.settled(t)
	// Where the bar is once the page no longer grows.
	bar := seekBar(t, ctx)
	lastChunk := chunks[len(chunks)-1].Start
	clickFar(t, ctx, fetches, before, "the seek bar", bar.X+bar.W*float64(far)/float64(end-start), bar.Y+bar.H/2, lastChunk, lastChunk-start)
	// The moment, built while the button was down, is the page a seek
	// there builds.
	sameAsSought(t, ctx, dom, "the clicked moment far ahead")

	// So is a moment the Replayer in hand holds, built from what it holds
	// while the button is down.
	do(t, ctx, "open the player for a click near", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	fetches.settled(t)
	bar = seekBar(t, ctx)
	x, y := bar.X+bar.W*float64(chunks[1].Start-start)/2/float64(end-start), bar.Y+bar.H/2
	do(t, ctx, "click the seek bar in the first chunk", chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('#player').dataset.state === 'paused' && Number(document.querySelector('#player').dataset.time) < %d`, chunks[1].Start-start),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("a click on the seek bar in the first chunk did not show a moment in it: %v", err)
	}
	sameAsSought(t, ctx, dom, "the clicked moment near")

	// So does pressing a marker of the timeline in the last chunk.
	do(t, ctx, "open the player to press a marker", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	waitFor(t, "a marker in the last chunk", func() bool {
		return eval[bool](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('.ph-mark')].some((m) => Number(m.dataset.at) > %d)`, lastChunk-start))
	})
	before = fetches.settled(t)
	marker := eval[[]float64](t, ctx, fmt.Sprintf(`(() => { const m = [...document.querySelectorAll('.ph-mark')].findLast((m) => Number(m.dataset.at) > %d);
		m.scrollIntoView({ block: 'center' }); const r = m.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2] })()`, lastChunk-start))
	clickFar(t, ctx, fetches, before, "a marker", marker[0], marker[1], lastChunk, lastChunk-start)

	// The events pane lists every row of the session, in time order, when
	// scrolled from top to bottom, while the page holds only those near
	// its view: a long session's rows would otherwise grow its memory.
	waitFor(t, "the events pane filled from every chunk", func() bool {
		return eval[string](t, ctx, `document.querySelector('#player').dataset.panes`) == "filled"
	})
	rows := eval[int](t, ctx, `Number(document.querySelector('.ph-list-events .ph-item')?.getAttribute('aria-setsize') ?? 0)`)
	type pass struct {
		Seen []struct {
			Pos int `json:"pos"`
			At  int `json:"at"`
		} `json:"seen"`
		MostHeld int `json:"mostHeld"`
	}
	p := eval[pass](t, ctx, `(async () => {
		const list = document.querySelector('.ph-list-events');
		const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
		const seen = new Map();
		let mostHeld = 0;
		for (list.scrollTop = 0; ; list.scrollTop += list.clientHeight / 2) {
			await frame();
			const held = list.querySelectorAll('.ph-item');
			mostHeld = Math.max(mostHeld, held.length);
			for (const r of held) seen.set(Number(r.getAttribute('aria-posinset')), Number(r.dataset.at));
			if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) break;
		}
		return { seen: [...seen].sort((a, b) => a[0] - b[0]).map(([pos, at]) => ({ pos, at })), mostHeld };
	})()`)
	if rows < 300 {
		t.Fatalf("the events pane has %d rows; the session should make several hundred", rows)
	}
	if len(p.Seen) != rows {
		t.Errorf("scrolling the events pane through showed %d of its %d rows", len(p.Seen), rows)
	}
	for i, r := range p.Seen {
		if r.Pos != i+1 || (i > 0 && r.At < p.Seen[i-1].At) {
			t.Fatalf("row %d of the scrolled pane is row %d at %d ms, after one at %d ms", i+1, r.Pos, r.At, p.Seen[max(0, i-1)].At)
		}
	}
	if p.MostHeld > rows/2 {
		t.Errorf("the events pane held %d of its %d rows at once", p.MostHeld, rows)
	}
	// A pane shown after the replay moved while it was hidden shows the
	// row of the moment.
	do(t, ctx, "open the console pane", chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=console]`)))
	middle := (end - start) / 3
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, middle))
	waitFor(t, "the replay a third in", func() bool {
		return eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('#player').dataset.state === 'paused' && document.querySelector('#player').dataset.time === '%d'`, middle))
	})
	do(t, ctx, "open the events pane again", chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=events]`)))
	waitFor(t, "the events pane's row of the moment in view", func() bool {
		return eval[bool](t, ctx, `(() => { const list = document.querySelector('.ph-list-events'), row = list.querySelector('.ph-item.is-current');
			if (!row) return false; const l = list.getBoundingClientRect(), r = row.getBoundingClientRect(); return r.top >= l.top && r.bottom <= l.bottom })()`)
	})

	// A link to a moment opens the replay there: the first events it asks
	// for are those from the full snapshot before the moment, not the
	// first chunk's, and it shows the page a seek there shows.
	linked := far / 1000 * 1000
	before = fetches.settled(t)
	do(t, ctx, "open a link to a moment in the last chunk", chromedp.Navigate(fmt.Sprintf("%s?t=%d", page, linked/1000)),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="paused"]`)))
	if got := eval[string](t, ctx, `document.querySelector('#player').dataset.time`); got != fmt.Sprint(linked) {
		t.Errorf("the link to %d ms opens the player at %s ms", linked, got)
	}
	if asked := fetches.since(before); len(asked) == 0 || !strings.Contains(asked[0], fmt.Sprintf("to=%d", end+1)) {
		t.Errorf("the link to a moment in the last chunk first asked for %q, want the stretch that ends with it", asked)
	} else {
		// The page asked for it, and the player took that answer.
		u, _ := url.Parse(asked[0])
		if by := eval[[]string](t, ctx, fmt.Sprintf(`performance.getEntriesByType('resource').filter((e) => { const u = new URL(e.name); return u.pathname + u.search === %q }).map((e) => e.initiatorType)`, u.RequestURI())); !slices.Equal(by, []string{"link"}) {
			t.Errorf("%s was fetched by %q, want once, by the page's preload link", u.RequestURI(), by)
		}
	}
	sameAsSought(t, ctx, dom, "the linked moment")
	// The session's start is still there to go back to.
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(0)`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'paused'`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the seek back to the start did not finish: %v", err)
	}
	if at := eval[string](t, ctx, `document.querySelector('#player').dataset.time`); len(at) > 3 {
		t.Errorf("a seek to the start after opening at a moment shows %s ms, want the first frame, within the first second", at)
	}
}

// sameAsSought checks that the page the player shows (dom, a page's
// body) is the one a seek to the same moment builds, from elsewhere.
func sameAsSought(t *testing.T, ctx context.Context, dom, what string) {
	t.Helper()
	at := eval[string](t, ctx, `document.querySelector('#player').dataset.time`)
	shown := replayed[string](t, ctx, dom)
	for _, step := range []struct{ to, shown string }{{"0", `!== '` + at + `'`}, {at, `=== '` + at + `'`}} {
		eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(`+step.to+`)`)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'paused' && document.querySelector('#player').dataset.time `+step.shown,
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the seek to %s ms did not finish: %v", step.to, err)
		}
	}
	if sought := replayed[string](t, ctx, dom); len(shown) < 10_000 || sought != shown {
		t.Errorf("%s differs: %d bytes of page shown, %d sought to; %s", what, len(shown), len(sought), firstDifference(shown, sought))
	}
}

// clickFar clicks at x, y, a place of the player that seeks into the last
// chunk (from recording time lastChunk, offset ms of the replay), pressed
// for as long as the page takes to ask for that chunk's stretch, and checks
// that the release shows a moment in it without asking again (since the
// before-th request).
func clickFar(t *testing.T, ctx context.Context, fetches *eventFetches, before int, what string, x, y float64, lastChunk, offset int64) {
	t.Helper()
	do(t, ctx, "press "+what, chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	var aimed string
	waitFor(t, "the moment "+what+" points at asked for", func() bool {
		for _, u := range fetches.since(before) {
			q, _ := url.Parse(u)
			if to, _ := strconv.ParseInt(q.Query().Get("to"), 10, 64); to > lastChunk {
				aimed = u
			}
		}
		return aimed != ""
	})
	do(t, ctx, "release "+what, chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`document.querySelector('#player').dataset.state === 'paused' && Number(document.querySelector('#player').dataset.time) >= %d`, offset),
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("a click on %s in the last chunk did not show a moment in it: %v", what, err)
	}
	if n := len(slices.DeleteFunc(fetches.since(before), func(u string) bool { return u != aimed })); n != 1 {
		t.Errorf("%s was asked for %d times, want once", aimed, n)
	}
}

// firstDifference quotes two pages around where they first differ.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("first difference at %d: %q, %q", i, a[max(0, i-200):min(len(a), i+200)], b[max(0, i-200):min(len(b), i+200)])
}

// compactedSession starts a server that compacts what it is sent as soon
// as it comes, sends it a generated window of minutes as session, and
// waits until all of it is in chunks.
func compactedSession(tb testing.TB, session string, seed uint64, minutes int) (base string, project store.Project) {
	tb.Helper()
	base, data := servertest.Start(tb, func(c *server.Config) {
		c.Ingest.RateClient.Per = 0
		c.CompactQuiet, c.CompactEvery = time.Millisecond, 50*time.Millisecond
	})
	project = servertest.Project(tb, data)
	if _, err := synth.Send(context.Background(), http.DefaultClient, base, project.Key, session, seed, minutes, time.Now().Add(-time.Hour).UnixMilli()); err != nil {
		tb.Fatal(err)
	}
	servertest.WaitCompacted(tb, fmt.Sprintf("%s/api/v1/projects/%d/sessions/%s", base, project.ID, session))
	return base, project
}

// eventFetches follows, through the browser, the current page's requests
// for a session's events: the test sees a request when it is sent, not
// only once it is answered, and knows when none is under way.
type eventFetches struct {
	mu   sync.Mutex
	sent []string
	open map[network.RequestID]cdp.LoaderID
}

func watchEventFetches(t *testing.T, ctx context.Context) *eventFetches {
	t.Helper()
	f := &eventFetches{open: map[network.RequestID]cdp.LoaderID{}}
	err := chromedp.Listen(ctx, func(ev any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.Contains(e.Request.URL, "/events?") {
				f.sent = append(f.sent, e.Request.URL)
				f.open[e.RequestID] = e.LoaderID
			}
		case *network.EventLoadingFinished:
			delete(f.open, e.RequestID)
		case *network.EventLoadingFailed:
			delete(f.open, e.RequestID)
		case *cdppage.EventFrameNavigated:
			// A page left drops its fetches without a word of their end,
			// and may start some after the next page was asked for.
			if e.Frame.ParentID == "" {
				maps.DeleteFunc(f.open, func(_ network.RequestID, l cdp.LoaderID) bool { return l != e.Frame.LoaderID })
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// since lists the requests sent after the first n.
func (f *eventFetches) since(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent[n:])
}

// settled waits until no request has been under way for a second, and
// says how many were sent.
func (f *eventFetches) settled(t *testing.T) int {
	t.Helper()
	state := func() (int, int) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.sent), len(f.open)
	}
	last := -1
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		n, open := state()
		if open > 0 {
			n = -1
		} else if n == last {
			return n
		}
		last = n
	}
	t.Fatalf("the page's fetches of events did not end in 30 s: %v", f.since(0))
	return 0
}
