package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
)

// TestSignalsOnTheSessionPage imports the signals recording (Playhead's
// recorder on a page made to show them) and opens its session: the page
// lists what is worth watching, and a click on a moment seeks the replay
// there.
func TestSignalsOnTheSessionPage(t *testing.T) {
	base, data := servertest.Start(t)
	key := servertest.CreateProject(t, data)
	rec := recent(t, recordings.Signals)
	for _, w := range rec.Windows {
		ingest(t, base, key, "signals", w.ID, 0, w.Events)
	}
	s := onlySession(t, base, "the session's signals", func(s session) bool {
		return s.SignalCounts["rage_click"] == 1
	})

	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the session",
		chromedp.Navigate(base+s.path()),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	list := eval[string](t, ctx, `[...document.querySelectorAll('.signals li')].map(li => li.textContent.replace(/\s+/g, ' ').trim()).join('\n')`)
	for _, want := range []string{"rage click ×4 button#buy “Buy now”", "dead click ×4 button#buy", "error click button#coupon “Apply coupon”", "quick back"} {
		if !strings.Contains(list, want) {
			t.Errorf("the session page's signals lack %q:\n%s", want, list)
		}
	}
	// The rage click's moment seeks the replay to it. Pressed, it is
	// built while the button is down: the release shows another Replayer.
	at := eval[string](t, ctx, `document.querySelector('.signals a[data-seek]').dataset.seek`)
	link := eval[[]float64](t, ctx, `(() => { window.before = window.playheadPlayer.replayer; const a = document.querySelector('.signals a[data-seek]');
		a.scrollIntoView({ block: 'center' }); const r = a.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2] })()`)
	do(t, ctx, "seek to the rage click", chromedp.MouseEvent(chromedp.MouseMoved, link[0], link[1]),
		chromedp.MouseEvent(chromedp.MousePressed, link[0], link[1], chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.MouseEvent(chromedp.MouseReleased, link[0], link[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitFor(t, "the player at the rage click", func() bool {
		return eval[string](t, ctx, `document.getElementById('player').dataset.time`) == at
	})
	if eval[bool](t, ctx, `window.playheadPlayer.replayer === window.before`) {
		t.Errorf("the pressed moment was not built while the button was down")
	}
	if ms, _ := strconv.Atoi(at); ms <= 0 {
		t.Errorf("the rage click is at %s ms of the replay", at)
	}
	screenshot(t, ctx, "session-signals.png")
}
