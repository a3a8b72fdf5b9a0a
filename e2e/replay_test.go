package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestReplayPhoneMasksAndBlocks records a page on a phone with the real
// recorder, and replays it: the page is in a phone's frame, the chosen
// option of a <select> is not shown but a placeholder is, and an element
// blocked by the class playhead-block or the attribute data-playhead-block
// is a box of its size labelled "Blocked", without its text.
func TestReplayPhoneMasksAndBlocks(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	origin := site(t, base, p.Key)

	ctx := browser(t)
	desktopUA := eval[string](t, ctx, `navigator.userAgent`)
	do(t, ctx, "open the page on a phone", chromedp.Emulate(device.IPhone12),
		chromedp.Navigate(origin+"/replay.html"), chromedp.WaitVisible(chromedp.ID("shown")))
	waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
	do(t, ctx, "choose the gold plan", chromedp.SetValue(chromedp.ID("plan"), "gold"))
	eval[chromedp.Void](t, ctx, `document.getElementById('plan').dispatchEvent(new Event('change', {bubbles: true}))`)
	eval[chromedp.Void](t, ctx, `new Promise(r => setTimeout(r, 200)).then(() => window.playhead.flush())`)

	s := onlySession(t, base, "the phone's session", func(s session) bool {
		return s.Device == "mobile"
	})

	// Leave the page first: it would record the window's resize.
	do(t, ctx, "leave the page", chromedp.Navigate("about:blank"))
	do(t, ctx, "back to a desktop", screen{"1280", 1280, 800, false}.emulate(desktopUA))
	signIn(t, ctx, base)
	do(t, ctx, "open the replay", chromedp.Navigate(base+s.path()+"?live=0"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(1e9)`)
	waitFor(t, "the replay's end", func() bool {
		return eval[bool](t, ctx, `(() => { const d = document.querySelector('`+shownReplay+`')?.contentDocument; return !!d?.getElementById('shown') && d.getElementById('plan').value !== 'silver' })()`)
	})

	// A phone's frame around the page.
	frame := eval[string](t, ctx, `(() => { const s = document.querySelector('.ph-stage'); const f = s.querySelector('iframe'); return s.classList.contains('is-phone') + ' ' + getComputedStyle(f).boxShadow })()`)
	if !strings.HasPrefix(frame, "true ") || !strings.Contains(frame, "14px") {
		t.Errorf("the phone's session is not in a phone's frame: %q", frame)
	}
	if got := eval[string](t, ctx, `document.querySelector('.ph-viewport').textContent`); got != "390×844" {
		t.Errorf("the recorded viewport reads %q, want 390×844", got)
	}

	// The <select>: no plan to read, a placeholder instead.
	sel := replayed[string](t, ctx, `(() => { const e = doc.getElementById('plan'); const st = getComputedStyle(e);
		return [e.selectedIndex >= 0 ? e.options[e.selectedIndex].text : '', st.color, st.backgroundImage.includes('Masked')].join('|') })()`)
	if sel != "|rgba(0, 0, 0, 0)|true" {
		t.Errorf("the masked select shows %q, want no option, transparent text and the placeholder", sel)
	}

	// Both blocked elements: labelled boxes of their size, their text gone.
	boxes := replayed[string](t, ctx, `[...doc.querySelectorAll('.playhead-block')].map(e => {
		const r = e.getBoundingClientRect();
		return Math.round(r.width) + 'x' + Math.round(r.height) + ' ' + getComputedStyle(e, '::after').content;
	}).join('; ')`)
	if want := `300x80 "Blocked"; 240x60 "Blocked"`; boxes != want {
		t.Errorf("the blocked elements replay as %q, want %q", boxes, want)
	}
	if text := replayed[string](t, ctx, `doc.body.textContent`); strings.Contains(text, "Visa") || strings.Contains(text, "Private note") {
		t.Errorf("the replay shows a blocked element's text: %q", text)
	}
	screenshot(t, ctx, "replay-phone.png")
}
