package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// setVisibility makes the page in ctx hidden or shown to the visitor, as
// the browser does when they switch tabs: headless Chromium keeps every
// tab in view, so the page's visibilityState and its event are set by
// hand, and the real recorder hears them as it would.
func setVisibility(t *testing.T, ctx context.Context, visible bool) {
	t.Helper()
	state := "hidden"
	if visible {
		state = "visible"
	}
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => %q});
		document.dispatchEvent(new Event('visibilitychange'))`, state))
}

// The player follows the visitor from tab to tab: a session recorded in
// two tabs, the first hidden while the second is in use, then shown
// again, plays the second tab while the visitor was there and the first
// after, with each turn marked on the timeline.
func TestPlayerFollowsTheVisitorsTab(t *testing.T) {
	base, _ := servertest.Start(t)
	list := browser(t)
	do(t, list, "open the product list", chromedp.Navigate(base+"/demo/index.html"))
	waitFor(t, "the recorder in the first tab", func() bool { return eval[bool](t, list, `!!(window.playhead && window.playhead.sessionId)`) })
	time.Sleep(time.Second)

	setVisibility(t, list, false)
	product, cancel := chromedp.NewContext(list)
	defer cancel()
	do(t, product, "open a product in a second tab",
		chromedp.Navigate(base+"/demo/product.html?id=3"),
		chromedp.WaitVisible(chromedp.ID("add-to-cart")),
	)
	waitFor(t, "the recorder in the second tab", func() bool { return eval[bool](t, product, `!!(window.playhead && window.playhead.sessionId)`) })
	productWindow := eval[string](t, product, `window.playhead.windowId`)
	listWindow := eval[string](t, list, `window.playhead.windowId`)
	time.Sleep(time.Second)
	do(t, product, "add to cart", chromedp.Click(chromedp.ID("add-to-cart")))
	time.Sleep(time.Second)

	setVisibility(t, product, false)
	setVisibility(t, list, true)
	time.Sleep(500 * time.Millisecond)
	eval[chromedp.Void](t, list, `document.querySelector('h1').textContent = 'Back on the list'`)
	time.Sleep(500 * time.Millisecond)
	eval[chromedp.Void](t, product, `window.playhead.flush()`)
	eval[chromedp.Void](t, list, `window.playhead.flush()`)

	s := onlySession(t, base, "one session with two windows", func(s session) bool {
		return len(s.Windows) == 2 && s.Windows[0].End.After(s.Windows[1].End)
	})

	signIn(t, list, base)
	do(t, list, "open the player",
		chromedp.Navigate(base+s.path()+"?live=0"),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	active := func() string {
		return eval[string](t, list, `(document.querySelector('.ph-tab.is-active') || {dataset: {}}).dataset.window || ''`)
	}
	if got := active(); got != listWindow {
		t.Fatalf("the player opens on tab %q, want the first, %q", got, listWindow)
	}
	waitFor(t, "two turns marked on the timeline", func() bool {
		return eval[int](t, list, `document.querySelectorAll('.ph-mark[data-kind="tab"]').length`) == 2
	})
	eval[chromedp.Void](t, list, `window.playheadPlayer.setSpeed(2); window.playheadPlayer.play()`)
	waitFor(t, "the player on the second tab", func() bool { return active() == productWindow })
	screenshot(t, list, "player-follows-tab.png")
	if _, err := chromedp.Run(list, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'ended'`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the session did not play to its end: %v", err)
	}
	if got := active(); got != listWindow {
		t.Errorf("the player ends on tab %q, want the first again, %q", got, listWindow)
	}
	if h1 := replayed[string](t, list, `doc.querySelector('h1') ? doc.querySelector('h1').textContent : ''`); h1 != "Back on the list" {
		t.Errorf("the replay ends on %q, want the first tab as the visitor left it", h1)
	}
	// The turns come with the session: no tab's whole recording is read
	// to find them.
	if whole := eval[[]string](t, list, `performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/events') && !u.includes('from='))`); len(whole) > 0 {
		t.Errorf("the player read whole recordings: %q", whole)
	}

	// A link to a moment the visitor spent on the second tab opens there.
	var productStart time.Time
	for _, w := range s.Windows {
		if w.ID == productWindow {
			productStart = w.Start
		}
	}
	at := productStart.Sub(s.Start) + 1500*time.Millisecond
	do(t, list, "open a link to a moment on the second tab",
		chromedp.Navigate(fmt.Sprintf("%s%s?live=0&t=%.3f", base, s.path(), at.Seconds())),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="paused"]`)),
	)
	if got := active(); got != productWindow {
		t.Errorf("a link %v in opens on tab %q, want the one in view then, %q", at, got, productWindow)
	}
	if !replayed[bool](t, list, `!!doc.querySelector('#add-to-cart')`) {
		t.Error("the link's replay does not show the product page")
	}
}
