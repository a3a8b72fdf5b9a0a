package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestSessionList drives the list in Chromium: the empty list's install
// snippet, tags, filter chips that come off one by one, the back button,
// a segment, and the watched state a replay sets.
func TestSessionList(t *testing.T) {
	base, data := servertest.Start(t)
	shop := servertest.Project(t, data)
	ctx := browser(t)
	signIn(t, ctx, base)

	// Nothing recorded: the list shows the project's tag, loading the
	// recorder from the server's own address.
	do(t, ctx, "open the empty list", chromedp.Navigate(base+"/?project="+itoa(shop.ID)), chromedp.WaitVisible(chromedp.CSS(".empty")))
	snippet := eval[string](t, ctx, `document.querySelector('pre.snippet').textContent`)
	if want := `<script src="` + base + `/playhead.js?key=` + shop.Key + `" defer></script>`; snippet != want {
		t.Errorf("the empty list's snippet is %q, want %q", snippet, want)
	}
	screenshot(t, ctx, "list-empty.png")

	importSession(t, base, shop.Key, shop.ID, "first")
	importSession(t, base, shop.Key, shop.ID, "second")
	req, _ := http.NewRequest("POST", base+"/api/v1/projects/"+itoa(shop.ID)+"/sessions/first/tags", strings.NewReader(`{"tag":"Checkout bug"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := servertest.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("tag the session: %s", resp.Status)
	}

	rows := func() string {
		return eval[string](t, ctx, `[...document.querySelectorAll('table.sessions tbody tr')].map(r => r.dataset.session).join(' ')`)
	}
	query := func() url.Values {
		v, _ := url.ParseQuery(strings.TrimPrefix(eval[string](t, ctx, `location.search`), "?"))
		return v
	}
	do(t, ctx, "open the list", chromedp.Navigate(base+"/?project="+itoa(shop.ID)), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if got := rows(); got != "second first" {
		t.Fatalf("the list shows %q", got)
	}
	// Start times are shown in the browser's time zone, by list.js, and
	// so is a session's on its page, by the player's script: here Tokyo's.
	var second session
	for _, s := range sessions(t, base) {
		if s.ID == "second" {
			second = s
		}
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	inTokyo := second.Start.In(tokyo)
	inZone(t, ctx, "Asia/Tokyo")
	do(t, ctx, "reload the list in Tokyo", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if got, want := eval[string](t, ctx, `document.querySelector('table.sessions time').textContent`), inTokyo.Format("Jan 2, 2006 03:04 PM")+" GMT+9"; got != want {
		t.Errorf("the second session's start in Tokyo reads %q, want %q", got, want)
	}
	inZone(t, ctx, "")
	do(t, ctx, "back to the list", chromedp.Navigate(base+"/?project="+itoa(shop.ID)), chromedp.WaitVisible(chromedp.CSS("table.sessions")))

	// A tag is a link to its filter; a signal picked from the filters
	// applies at once; each is a chip in the address.
	do(t, ctx, "filter on the tag", chromedp.Click(chromedp.CSS(`a.tag`)), chromedp.WaitVisible(chromedp.CSS(".chips")))
	if got, q := rows(), query(); got != "first" || q.Get("tag") != "checkout bug" {
		t.Errorf("filtered on the tag: rows %q, query %v", got, q)
	}
	do(t, ctx, "add a filter",
		chromedp.Click(chromedp.CSS("details.more summary")),
		chromedp.SetValue(chromedp.CSS(`select[name=watched]`), "false"),
	)
	waitFor(t, "the watched filter applied", func() bool { return query().Get("watched") == "false" })
	do(t, ctx, "wait for the chips", chromedp.WaitVisible(chromedp.CSS(".chips")))
	chips := eval[string](t, ctx, `[...document.querySelectorAll('.chip')].map(c => c.textContent.trim()).join(' | ')`)
	if got := rows(); chips != "Tag: checkout bug × | Unwatched ×" || got != "first" {
		t.Errorf("rows %q", got)
		t.Errorf("chips %q", chips)
	}
	screenshot(t, ctx, "list-filtered.png")

	// Save the filters as a segment.
	do(t, ctx, "save a segment",
		chromedp.SendKeys(chromedp.CSS(`form.save input[name=name]`), "Checkout bugs"),
		chromedp.Click(chromedp.CSS(`form.save button`)),
		chromedp.WaitVisible(chromedp.CSS(".segment.current")),
	)

	// The tag's chip comes off alone; back brings it again.
	do(t, ctx, "remove the tag's chip", chromedp.Click(chromedp.CSS(`.chip[href*="watched"]`)))
	waitFor(t, "the tag filter gone", func() bool {
		q := query()
		return !q.Has("tag") && q.Get("watched") == "false" && rows() == "second first"
	})
	eval[chromedp.Void](t, ctx, `history.back()`)
	waitFor(t, "the tag filter back", func() bool { return query().Get("tag") == "checkout bug" && rows() == "first" })

	// Watching a session takes it out of the unwatched ones.
	inZone(t, ctx, "Asia/Tokyo")
	do(t, ctx, "watch a session from Tokyo", chromedp.Navigate(base+"/projects/"+itoa(shop.ID)+"/sessions/second"), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)))
	if got, want := eval[string](t, ctx, `document.querySelector('h1 time').textContent`), inTokyo.Format("Jan 2, 2006, 3:04:05 PM")+" GMT+9"; got != want {
		t.Errorf("the session's page says it started %q, want %q", got, want)
	}
	inZone(t, ctx, "")
	do(t, ctx, "list the unwatched", chromedp.Navigate(base+"/?project="+itoa(shop.ID)+"&watched=false"), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if got := rows(); got != "first" {
		t.Errorf("unwatched: %q", got)
	}
	do(t, ctx, "open the whole list", chromedp.Navigate(base+"/?project="+itoa(shop.ID)), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if got := eval[string](t, ctx, `document.querySelector('tr[data-session=second]').className`); got != "watched" {
		t.Errorf("the watched session's row is %q", got)
	}
	if segs := eval[string](t, ctx, `[...document.querySelectorAll('.segment a')].map(a => a.textContent).join()`); segs != "Checkout bugs" {
		t.Errorf("segments %q", segs)
	}
	screenshot(t, ctx, "list.png")
}

// inZone has the browser keep time in the IANA zone named, or in the
// machine's for "".
func inZone(t *testing.T, ctx context.Context, zone string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		t.Fatalf("keep time in %q: %v", zone, err)
	}
}
