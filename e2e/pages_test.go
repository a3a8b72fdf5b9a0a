package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
	"github.com/chromedp/chromedp/kb"

	"github.com/playhead/playhead/internal/server/servertest"
)

//go:embed testdata/audit.js
var auditJS string

// screen is a size a page must work at.
type screen struct {
	name  string
	w, h  int64
	phone bool
}

var screens = []screen{{"1280", 1280, 800, false}, {"1920", 1920, 1080, false}, {"390", 390, 844, true}}

// emulate makes the tab a desktop window of the size, or an iPhone 12
// (390×844, touch, its user agent).
func (s screen) emulate(desktopUA string) chromedp.Action[chromedp.Void] {
	if s.phone {
		return chromedp.Emulate(device.IPhone12)
	}
	return chromedp.Emulate(device.Info{Name: "desktop", UserAgent: desktopUA, Width: s.w, Height: s.h, Scale: 1})
}

// trouble gathers what a user would see go wrong in a tab: console errors,
// uncaught exceptions and failed requests.
type trouble struct {
	mu   sync.Mutex
	list []string
}

func watchTrouble(t *testing.T, ctx context.Context) *trouble {
	t.Helper()
	tr := &trouble{}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				msg = "console error: " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				msg = "browser log: " + e.Entry.Text + " " + e.Entry.URL
			}
		case *network.EventLoadingFailed:
			if !e.Canceled {
				msg = "request failed: " + e.ErrorText + " " + string(e.RequestID)
			}
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				msg = fmt.Sprintf("request answered %d: %s", e.Response.Status, e.Response.URL)
			}
		}
		if msg != "" {
			tr.mu.Lock()
			tr.list = append(tr.list, msg)
			tr.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// take returns what went wrong since the last call.
func (tr *trouble) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	l := tr.list
	tr.list = nil
	return l
}

// page is one of the dashboard's pages, and what shows it is ready.
type page struct {
	name, path, ready string
}

// TestPagesAtEverySize opens every page of the dashboard at 1280×800,
// 1920×1080 and on a phone (390×844, touch), and checks what a user would:
// nothing scrolls sideways, nothing fails in the console or the network,
// the keyboard's focus can be seen, text is readable against its
// background, and on the phone a tap on the seek bar seeks.
func TestPagesAtEverySize(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	importSession(t, base, p.Key, p.ID, "shop")
	project := itoa(p.ID)
	// A checkout with an error, a failed request and an idle stretch, for
	// the list's signals and the player's panes, from a desktop browser.
	ingest(t, base, p.Key, "checkout", "w1", 0, idleRecording(time.Now().Add(-time.Hour).UnixMilli()),
		"User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	waitFor(t, "the checkout's signals", func() bool {
		for _, s := range sessions(t, base) {
			if s.ID == "checkout" && s.SignalCounts["inactivity"] == 1 {
				return true
			}
		}
		return false
	})

	ctx := browser(t)
	desktopUA := eval[string](t, ctx, `navigator.userAgent`)
	// A share link, made by the owner over HTTP.
	owner := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	share := shareLink(t, owner, base, project, "shop")

	tr := watchTrouble(t, ctx)
	check := func(s screen, pg page) {
		t.Helper()
		tr.take()
		do(t, ctx, "open "+pg.name+" at "+s.name, s.emulate(desktopUA), chromedp.Navigate(pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		// Let late requests (the player's chunks, fonts) finish or fail.
		time.Sleep(300 * time.Millisecond)
		var a struct {
			ScrollWidth, InnerWidth, Checked int
			Wide, Cut, Low                   []string
		}
		if err := json.Unmarshal([]byte(eval[string](t, ctx, fmt.Sprintf("(%s)(%d)", auditJS, s.w))), &a); err != nil {
			t.Fatal(err)
		}
		// On a phone the layout viewport grows to fit what overflows, so
		// innerWidth alone would hide it: the screen's width is the bound.
		if a.ScrollWidth > a.InnerWidth || a.InnerWidth > int(s.w) {
			t.Errorf("%s at %s scrolls sideways: %d px wide in a %d px window (%s)", pg.name, s.name, a.ScrollWidth, a.InnerWidth, strings.Join(a.Wide, "; "))
		}
		if len(a.Cut) > 0 {
			t.Errorf("%s at %s cuts off text no scrolling reaches: %s", pg.name, s.name, strings.Join(a.Cut, "; "))
		}
		if a.Checked < 3 {
			t.Errorf("%s at %s: only %d texts to check", pg.name, s.name, a.Checked)
		}
		for _, l := range a.Low {
			t.Errorf("%s at %s: low contrast: %s", pg.name, s.name, l)
		}
		if icon := eval[string](t, ctx, `(async () => { const l = document.querySelector('link[rel~=icon]'); if (!l) return 'no icon'; const r = await fetch(l.href); return r.ok && r.headers.get('content-type').startsWith('image/') ? '' : l.href + ' ' + r.status })()`); icon != "" {
			t.Errorf("%s: the favicon: %s", pg.name, icon)
		}
		if pg.name == "list" {
			listLayout(t, ctx, s)
		}
		focus(t, ctx, pg.name+" at "+s.name)
		for _, m := range tr.take() {
			t.Errorf("%s at %s: %s", pg.name, s.name, m)
		}
		screenshot(t, ctx, fmt.Sprintf("page-%s-%s.png", pg.name, s.name))
	}

	// Signed out: the login page and the shared replay.
	signedOut := []page{
		{"login", base + "/login", "#email"},
		{"share", share, `#player[data-state="ready"]`},
	}
	signedIn := []page{
		{"list", base + "/?project=" + project, "table.sessions"},
		{"player", base + "/projects/" + project + "/sessions/shop", `#player[data-state="ready"]`},
		{"projects", base + "/projects", "main h1"},
		{"project", base + "/projects/" + project, "main h1"},
		{"users", base + "/users", "main h1"},
		{"tokens", base + "/tokens", "main h1"},
		{"audit", base + "/audit", "main h1"},
		{"data", base + "/projects/" + project + "/data", "main h1"},
	}
	for _, s := range screens {
		for _, pg := range signedOut {
			check(s, pg)
		}
	}
	do(t, ctx, "desktop", screens[0].emulate(desktopUA))
	signIn(t, ctx, base)
	for _, s := range screens {
		for _, pg := range signedIn {
			check(s, pg)
		}
	}
	if res, err := http.Get(base + "/favicon.ico"); err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
		t.Errorf("GET /favicon.ico: %v %v", err, res)
	} else {
		res.Body.Close()
	}

	// The README's pictures: the list, and the player at the checkout's
	// error with the console open.
	do(t, ctx, "open the list for the README", chromedp.Emulate(device.Info{Name: "desktop", UserAgent: desktopUA, Width: 1280, Height: 520, Scale: 1}),
		chromedp.Navigate(base+"/?project="+project), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	screenshot(t, ctx, "docs-list.png")
	do(t, ctx, "open the player for the README", chromedp.Emulate(device.Info{Name: "desktop", UserAgent: desktopUA, Width: 1280, Height: 800, Scale: 1}),
		chromedp.Navigate(base+"/projects/"+project+"/sessions/checkout?t=6"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="paused"]`)),
		chromedp.Click(chromedp.CSS(`.ph-pane-tab[data-pane=console]`)))
	eval[chromedp.Void](t, ctx, `document.activeElement.blur()`)
	screenshot(t, ctx, "docs-player.png")

	// On the phone a tap on the seek bar seeks there.
	do(t, ctx, "open the player on a phone", screens[2].emulate(desktopUA),
		chromedp.Navigate(base+"/projects/"+project+"/sessions/shop"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	total, _ := strconv.Atoi(eval[string](t, ctx, `document.querySelector('.ph-progress').getAttribute('aria-valuemax')`))
	bar := seekBar(t, ctx)
	do(t, ctx, "tap the seek bar at three quarters", chromedp.TapXY(bar.X+bar.W*3/4, bar.Y+bar.H/2))
	at := func() int {
		n, _ := strconv.Atoi(eval[string](t, ctx, `document.getElementById('player').dataset.time`))
		return n
	}
	waitFor(t, fmt.Sprintf("the tap's seek (at %d of %d, bar %+v)", at(), total, bar), func() bool {
		return math.Abs(float64(at())-float64(total)*3/4) < float64(total)/30
	})
}

// listLayout checks the session list as a user reads it: every row's
// visitor, start, duration, pages, pages visited, device, signals, score
// and link are in the window, none reached by scrolling sideways, and on
// a phone a tap anywhere on a row's card opens its session.
func listLayout(t *testing.T, ctx context.Context, s screen) {
	t.Helper()
	var got struct {
		Rows, Badges int
		Out          []string
		Taps         []string
	}
	js := fmt.Sprintf(`(() => {
		const limit = %d, phone = %t, out = [], taps = [];
		const rows = [...document.querySelectorAll('table.sessions tbody tr')];
		let badges = 0;
		for (const r of rows) {
			const parts = [['visitor', r.querySelector('.visitor')], ['start', r.querySelector('time')], ['score', r.querySelector('.score')], ['link', r.querySelector('a.watch')]];
			for (const [i, td] of [...r.cells].entries()) if (td.textContent.trim() !== '') parts.push(['cell ' + i, td]);
			for (const b of r.querySelectorAll('.badge')) { badges++; parts.push(['badge ' + b.textContent.trim(), b]); }
			for (const [name, e] of parts) {
				if (!e) { out.push(r.dataset.session + ': no ' + name); continue; }
				const b = e.getBoundingClientRect();
				if (b.width === 0 || b.left < 0 || b.right > limit + 1) out.push(r.dataset.session + ': ' + name + ' at ' + Math.round(b.left) + '–' + Math.round(b.right));
			}
			if (!phone) continue;
			const box = r.getBoundingClientRect();
			r.scrollIntoView({block: 'center'});
			const at = r.getBoundingClientRect();
			const hit = document.elementFromPoint(at.left + at.width / 2, at.top + at.height / 2);
			const link = hit && hit.closest('a');
			if (!link || link !== r.querySelector('a.watch')) taps.push(r.dataset.session + ': a tap on the card hits ' + (hit ? hit.outerHTML.slice(0, 60) : 'nothing'));
		}
		const table = document.querySelector('table.sessions');
		if (table.scrollWidth > table.clientWidth + 1) out.push('the table scrolls sideways: ' + table.scrollWidth + ' in ' + table.clientWidth);
		const column = table.parentElement.getBoundingClientRect(), edge = table.getBoundingClientRect().right;
		if (edge > column.right + 1) out.push('the table ends at ' + Math.round(edge) + ', past the page at ' + Math.round(column.right));
		window.scrollTo(0, 0);
		return JSON.stringify({rows: rows.length, badges, out, taps});
	})()`, s.w, s.phone)
	if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows < 2 || got.Badges == 0 {
		t.Errorf("the list at %s shows %d rows and %d signal badges, want the two sessions and the checkout's signals", s.name, got.Rows, got.Badges)
	}
	for _, o := range got.Out {
		t.Errorf("the list at %s: out of the window: %s", s.name, o)
	}
	for _, o := range got.Taps {
		t.Errorf("the list at %s: %s", s.name, o)
	}
}

// focus presses Tab through the first controls of the page and checks
// each shows where focus is.
func focus(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`)
	for i := range 6 {
		do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		got := eval[string](t, ctx, `(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return 'nothing';
			if (e.tagName === 'IFRAME') return '';
			const s = getComputedStyle(e);
			const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
			return ring && e.matches(':focus-visible') ? '' : e.outerHTML.slice(0, 80) + ' outline ' + s.outlineStyle + ' ' + s.outlineWidth;
		})()`)
		if got == "nothing" && i > 0 {
			return // past the page's last control
		}
		if got != "" {
			t.Errorf("%s: Tab %d focuses with no visible focus: %s", where, i+1, got)
			return
		}
	}
}

// shareLink makes a share link of a session as the signed-in client.
func shareLink(t *testing.T, c *http.Client, base, project, session string) string {
	t.Helper()
	page := base + "/projects/" + project + "/sessions/" + session + "/shares"
	csrf := servertest.CSRF(t, c, base)
	res, err := c.PostForm(page, map[string][]string{"csrf": {csrf}, "expires": {"168h"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	i := strings.Index(body, `id="created-link"`)
	if i < 0 {
		t.Fatalf("making a share link answered %s: %.300s", res.Status, body)
	}
	v := body[i:]
	v = v[strings.Index(v, `value="`)+len(`value="`):]
	return strings.ReplaceAll(v[:strings.IndexByte(v, '"')], "&amp;", "&")
}
