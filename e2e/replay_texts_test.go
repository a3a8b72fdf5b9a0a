package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestReplayTextChanges records a page whose texts are replaced in every
// way a page may (el.textContent = …, twice in one batch, then moved,
// removed, put back elsewhere, in a masked element, with a card number)
// and replays it to its end: every element holds what it held on the page,
// the masked one as stars and the card number as [card]. The recorder sends a text replaced in its place as a new value
// of the old node (web/build.mjs), so the replay is where that shows.
func TestReplayTextChanges(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	origin := site(t, base, p.Key)

	ctx := browser(t)
	do(t, ctx, "open the page", chromedp.Navigate(origin+"/texts.html"), chromedp.WaitVisible(chromedp.ID("board")))
	waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
	// The first full snapshot is taken in a task after the script's.
	eval[chromedp.Void](t, ctx, `new Promise(r => setTimeout(r, 200)).then(() => window.changeTexts()).then(() => window.playhead.flush())`)
	want := eval[string](t, ctx, `window.boardTexts(document)`)
	if !strings.Contains(want, "a= ") || !strings.Contains(want, "m=secret words") || !strings.Contains(want, "h=H1G1") || !strings.Contains(want, "k=paid with 4111") || !strings.Contains(want, "q=quiet words w=x words x=x words") {
		t.Fatalf("the page did not change as planned: %q", want)
	}
	want = strings.NewReplacer(
		"m=secret words", "m=****** *****",
		"k=paid with 4111 1111 1111 1111", "k=paid with [card]",
		// Masked by a class added with the change, or while out of the page.
		"n=hidden one", "n=****** ***",
		"q=quiet words", "q=***** *****",
		"w=x words", "w=* *****",
		"x=x words", "x=* *****",
	).Replace(want)

	s := onlySession(t, base, "the session", nil)
	do(t, ctx, "leave the page", chromedp.Navigate("about:blank"))
	signIn(t, ctx, base)
	do(t, ctx, "open the replay", chromedp.Navigate(base+s.path()+"?live=0"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(1e9)`)
	waitFor(t, "the replay's end", func() bool {
		return eval[bool](t, ctx, `!!document.querySelector('`+shownReplay+`')?.contentDocument?.getElementById('done')`)
	})
	got := replayed[string](t, ctx, `[...doc.getElementById("board").querySelectorAll("[id]")].map((e) => e.id + "=" + e.textContent).join(" ")`)
	if got != want {
		t.Errorf("the replay ends with\n%s\nwant (as the page, masked)\n%s", got, want)
	}
}
