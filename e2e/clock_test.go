package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
)

// TestPlayerShowsTheSessionsClock opens the second of two tabs, which the
// visitor opened seconds into the session, and checks that every time the
// player shows reads from the session's start, as the tab's label does:
// the panes' rows, the timeline's markers, the clock after a click on a
// row, and the note button.
func TestPlayerShowsTheSessionsClock(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	rec := recent(t, recordings.TwoWindows)
	first, second := rec.Windows[0], rec.Windows[1]
	// The first tab stays open while the second is in use: an event of it
	// after the second's last makes the two overlap, so the player offers
	// them as tabs.
	late := recordings.Timestamp(second.Events[len(second.Events)-1]) + 1000
	still := json.RawMessage(fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead/track","payload":{"name":"still open"}}}`, late))
	for _, b := range []struct {
		window string
		seq    int
		events []json.RawMessage
	}{{first.ID, 0, first.Events}, {first.ID, 1, []json.RawMessage{still}}, {second.ID, 0, second.Events}} {
		ingest(t, base, p.Key, "tabs", b.window, b.seq, b.events)
	}
	s := onlySession(t, base, "one session with two windows that overlap", func(s session) bool {
		return len(s.Windows) == 2 && s.Windows[0].End.After(s.Windows[1].End)
	})

	ctx := browser(t)
	signIn(t, ctx, base)
	do(t, ctx, "open the player", chromedp.Navigate(base+s.path()+"?live=0"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	do(t, ctx, "pick the second tab",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.ph-tab[data-window=%q]`, second.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.ph-tab.is-active[data-window=%q]`, second.ID))),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	// "Tab 2 · 0:05–0:08": where the second tab lies in the session.
	label := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('.ph-tab[data-window=%q]').textContent`, second.ID))
	_, span, _ := strings.Cut(label, " · ")
	fromText, toText, _ := strings.Cut(span, "–")
	from, to := seconds(t, fromText), seconds(t, toText)
	if from < 5 {
		t.Fatalf("the second tab reads %q: it opened more than 5 s into the session", label)
	}

	waitFor(t, "the second tab's clicks in the events pane", func() bool {
		return eval[int](t, ctx, `document.querySelectorAll('.ph-list-events .ph-item.is-click').length`) > 0
	})
	var shown []string
	for _, q := range []struct{ what, js string }{
		{"an events row", `[...document.querySelectorAll('.ph-list-events .ph-item time')].map(e => e.textContent)`},
		{"a pages row", `[...document.querySelectorAll('.ph-list-pages .ph-item time')].map(e => e.textContent)`},
		{"a marker", `[...document.querySelectorAll('.ph-mark')].map(e => e.getAttribute('aria-label').split(' · ')[0])`},
		{"the clock", `[document.querySelector('.ph-time').textContent.split(' / ')[0]]`},
	} {
		times := eval[[]string](t, ctx, q.js)
		if len(times) == 0 {
			t.Errorf("no %s shows a time", q.what)
		}
		for _, v := range times {
			if n := seconds(t, v); n < from || n > to {
				t.Errorf("%s of the second tab (%s) reads %s, outside %s", q.what, label, v, span)
			}
		}
		shown = append(shown, q.what+": "+strings.Join(times, " "))
	}
	t.Logf("the second tab, %s: %s", span, strings.Join(shown, "; "))

	// A click on a row seeks there: the clock and the note button then
	// read the row's time.
	row := eval[string](t, ctx, `document.querySelector('.ph-list-events .ph-item.is-click time').textContent`)
	do(t, ctx, "click the first click's row", chromedp.Click(chromedp.CSS(`.ph-list-events .ph-item.is-click`)))
	waitFor(t, "the seek to the row", func() bool {
		return eval[string](t, ctx, `document.querySelector('#player').dataset.state`) == "paused"
	})
	clock := eval[string](t, ctx, `document.querySelector('.ph-time').textContent.split(' / ')[0]`)
	note := eval[string](t, ctx, `document.querySelector('.ph-note-add').textContent`)
	if clock != row || note != "Add note at "+row {
		t.Errorf("after a click on the row at %s the clock reads %s and the note button %q", row, clock, note)
	}
	screenshot(t, ctx, "player-second-tab-clock.png")
}

// seconds reads m:ss.
func seconds(t *testing.T, v string) int {
	t.Helper()
	m, sec, ok := strings.Cut(strings.TrimSpace(v), ":")
	a, err1 := strconv.Atoi(m)
	b, err2 := strconv.Atoi(sec)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("%q is not m:ss", v)
	}
	return a*60 + b
}
