// Package e2e drives the real recorder and the real player in Debian's
// Chromium against a running Playhead: what a visitor does on the demo
// shop must be what the dashboard plays back.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
)

// artifacts is where screenshots go, for people to look at.
var artifacts = func() string {
	if d := os.Getenv("PLAYHEAD_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join("..", "artifacts")
}()

// browser starts Debian's Chromium, headless, with a fresh profile.
func browser(t testing.TB) context.Context {
	t.Helper()
	return browserFor(t, 2*time.Minute)
}

// browserFor is browser for tests and benchmarks that need longer.
func browserFor(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Debian's chromium is needed for the browser tests (make deps installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

func do(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(artifacts, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

type session struct {
	Project      int64          `json:"project"`
	ID           string         `json:"id"`
	Start        time.Time      `json:"start"`
	SignalCounts map[string]int `json:"signal_counts"`
	Pages        int            `json:"pages"`
	Browser      string         `json:"browser"`
	OS           string         `json:"os"`
	Device       string         `json:"device"`
	Windows      []struct {
		ID    string    `json:"id"`
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"windows"`
	PageViews []struct {
		URL string `json:"url"`
	} `json:"page_views"`
}

func sessions(t *testing.T, base string) []session {
	t.Helper()
	resp, err := servertest.Get(base + "/api/v1/sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Sessions []session }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Sessions
}

// onlySession waits until the server lists a single session, one that
// ready accepts (any, for nil), and returns it.
func onlySession(t *testing.T, base, what string, ready func(session) bool) session {
	t.Helper()
	var s session
	waitFor(t, what, func() bool {
		l := sessions(t, base)
		if len(l) != 1 {
			return false
		}
		s = l[0]
		return ready == nil || ready(s)
	})
	return s
}

// ingest posts one batch of a window's events with a project's key, as a
// recorder does, with the headers given in pairs, and fails the test
// unless the server accepts it.
func ingest(t testing.TB, base, key, session, window string, seq int, events any, header ...string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"key": key, "session": session, "window": window, "seq": seq, "events": events})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest %s/%s/%d: %s", session, window, seq, resp.Status)
	}
}

// path is where the session lives under /api/v1 and the dashboard.
func (s session) path() string { return fmt.Sprintf("/projects/%d/sessions/%s", s.Project, s.ID) }

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// signIn signs the browser in through the login page, as the owner that
// servertest.Start created.
func signIn(t testing.TB, ctx context.Context, base string) {
	t.Helper()
	signInAs(t, ctx, base, servertest.OwnerEmail, servertest.OwnerPassword)
}

func signInAs(t testing.TB, ctx context.Context, base, email, password string) {
	t.Helper()
	do(t, ctx, "sign in as "+email,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS("header nav")),
	)
}

// play opens the player page of a session, plays it at 8x to the end and
// returns the replayed document's text.
func play(t *testing.T, ctx context.Context, base string, s session) {
	t.Helper()
	do(t, ctx, "open the player",
		chromedp.Navigate(base+s.path()+"?live=0"), // just recorded: as recorded so far, not live
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.setSpeed(8); window.playheadPlayer.play()`)
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const s = document.querySelector('#player').dataset.state; return s === 'ended' || s === 'error' ? s : false })()`,
		chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || state != "ended" {
		screenshot(t, ctx, "player-failed.png")
		msg := eval[string](t, ctx, `document.querySelector('#player').innerText`)
		t.Fatalf("the player did not play to the end: state %q, err %v, text %q", state, err, msg)
	}
}

// shownReplay selects the iframe of the replay the player shows. A far
// seek keeps the Replayer before it in the stage, hidden and marked
// data-leaving, until the new one has drawn its first frame.
const shownReplay = "#player .replayer-wrapper:not([data-leaving], [data-hidden]) iframe"

// replayed evaluates js against the document inside the player's iframe.
func replayed[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	// A seek past the chunks loaded rebuilds the replay: wait for its
	// frame to be back.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`!!document.querySelector('`+shownReplay+`') && document.querySelector('#player').dataset.state !== 'loading'`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the replay's frame: %v", err)
	}
	return eval[T](t, ctx, `(() => { const doc = document.querySelector('`+shownReplay+`').contentDocument; return `+js+` })()`)
}

func TestRecordAndReplayDemoShop(t *testing.T) {
	base, _ := servertest.Start(t)
	ctx := browser(t)

	const name, password = "Ada Lovelace", "correct horse battery"
	// Page one: a product; adding it to the cart changes the DOM.
	do(t, ctx, "open a product",
		chromedp.Navigate(base+"/demo/product.html?id=2"),
		chromedp.WaitVisible(chromedp.ID("add-to-cart")),
	)
	waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
	do(t, ctx, "add to cart", chromedp.Click(chromedp.ID("add-to-cart")))
	first := eval[string](t, ctx, `window.playhead.sessionId`)
	// No flush here: what page one recorded since its last batch must
	// leave with the page, as it does for a real visitor.
	added := eval[float64](t, ctx, `new Promise(r => setTimeout(() => r(Date.now()), 300))`)

	// Page two: the checkout, reached by a link; fill it in and order.
	do(t, ctx, "go to the checkout",
		chromedp.Click(chromedp.CSS("a.cart")),
		chromedp.WaitVisible(chromedp.ID("checkout-form")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SetValue(chromedp.ID("country"), "gb"),
		chromedp.Click(chromedp.ID("apply-coupon")),
	)
	// The replay is checked at this moment too: the form filled in.
	filled := eval[float64](t, ctx, `new Promise(r => setTimeout(() => r(Date.now()), 600))`)
	time.Sleep(600 * time.Millisecond)
	do(t, ctx, "place the order",
		chromedp.Click(chromedp.ID("place-order")),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
	)
	if id := eval[string](t, ctx, `window.playhead.sessionId`); id != first {
		t.Fatalf("the second page started session %s; the first page had %s", id, first)
	}
	eval[chromedp.Void](t, ctx, `window.playhead.flush()`)
	screenshot(t, ctx, "demo-checkout.png")

	var s session
	waitFor(t, "the session with two pages", func() bool {
		list := sessions(t, base)
		if len(list) != 1 {
			return false
		}
		s = list[0]
		return s.Pages == 2
	})
	if s.ID != first || len(s.Windows) != 1 || s.OS != "Linux" || !strings.Contains(s.Browser, "Chrome") {
		t.Errorf("session = %+v", s)
	}

	// The dashboard lists it.
	signIn(t, ctx, base)
	do(t, ctx, "open the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if rows := eval[int](t, ctx, `document.querySelectorAll('table.sessions tbody tr').length`); rows != 1 {
		t.Errorf("dashboard lists %d sessions, want 1", rows)
	}

	play(t, ctx, base, s)
	screenshot(t, ctx, "player.png")

	// What the replay shows is the second page after the order.
	if !replayed[bool](t, ctx, `!!doc.querySelector('#checkout-form')`) {
		t.Error("the replay does not end on the checkout page")
	}
	if text := replayed[string](t, ctx, `doc.querySelector('#confirmation').textContent`); !strings.Contains(text, "Thank you") {
		t.Errorf("confirmation in the replay = %q", text)
	}
	if hidden := replayed[bool](t, ctx, `doc.querySelector('#confirmation').hasAttribute('hidden')`); hidden {
		t.Error("the replay still hides the confirmation that the visitor saw")
	}
	// Placing the order hid the form and emptied the cart.
	if hidden := replayed[bool](t, ctx, `doc.querySelector('#checkout-form').hasAttribute('hidden')`); !hidden {
		t.Error("the replay still shows the form that the order hid")
	}
	if count := replayed[string](t, ctx, `doc.querySelector('#cart-count').textContent`); count != "0" {
		t.Errorf("cart count in the replay = %q, want 0 after the order", count)
	}
	// Inputs are masked with a fixed mask that keeps not even the length
	// of what was typed; the password field is not recorded at all.
	checkMasks(t, ctx, name)
	// The recorded page never runs script in the dashboard's origin.
	if sandbox := eval[string](t, ctx, `document.querySelector('`+shownReplay+`').getAttribute('sandbox')`); strings.Contains(sandbox, "allow-scripts") {
		t.Errorf("replay iframe sandbox = %q", sandbox)
	}
	// The start of the replay is page one, the product, with its cart
	// still empty.
	eval[chromedp.Void](t, ctx, `window.playheadPlayer.seek(0)`)
	waitFor(t, "the seek to the start", func() bool {
		return replayed[bool](t, ctx, `!!doc.getElementById('add-to-cart')`)
	})
	if count := replayed[string](t, ctx, `doc.getElementById('cart-count').textContent`); count != "0" {
		t.Errorf("cart count at the start of the replay = %q, want 0", count)
	}
	// Just before the visitor left page one, the cart shows the product
	// added: the page's last events were sent as it unloaded.
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, int64(added)-s.Start.UnixMilli()))
	waitFor(t, "the seek to the added product", func() bool {
		return replayed[string](t, ctx, `doc.getElementById('add-to-cart') ? doc.getElementById('cart-count').textContent : ''`) == "1"
	})

	// Back to the moment the form was filled in: every field shows the
	// fixed mask, never the text.
	offset := int64(filled) - s.Start.UnixMilli()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.playheadPlayer.seek(%d)`, offset))
	waitFor(t, "the seek", func() bool {
		return replayed[bool](t, ctx, `!!doc.querySelector('#checkout-form') && !doc.querySelector('#checkout-form').hasAttribute('hidden')`)
	})
	checkMasks(t, ctx, name)
	screenshot(t, ctx, "player-form.png")

	// Nothing typed reached the server either.
	resp, err := servertest.Get(base + "/api/v1" + s.path() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	events, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{name, password, "ada@example.com"} {
		if bytes.Contains(events, []byte(secret)) {
			t.Errorf("the stored events contain %q", secret)
		}
	}
}

// TestReplayImportedRecording posts stock rrweb's real two-window recording
// (package recordings) through the ingest API and plays it to the end in
// the player.
func TestReplayImportedRecording(t *testing.T) {
	base, data := servertest.Start(t)
	key := servertest.CreateProject(t, data)
	ingestTwoWindows(t, base, key, "imported")
	var imported session
	waitFor(t, "the imported session", func() bool {
		list := sessions(t, base)
		if len(list) == 1 {
			imported = list[0]
		}
		return len(list) == 1 && len(imported.Windows) == 2
	})
	ctx := browser(t)
	signIn(t, ctx, base)
	play(t, ctx, base, imported)
	screenshot(t, ctx, "player-imported.png")
	// The end is the second window's page after its last click.
	text := replayed[string](t, ctx, `doc.body ? doc.body.textContent : ''`)
	for _, want := range []string{"Playhead fixture: second tab", "Progress: 3 of 3", "Fixture complete"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replay of the imported recording shows %q, want %q in it", text, want)
		}
	}
	if hidden := replayed[bool](t, ctx, `doc.getElementById('done').hasAttribute('hidden')`); hidden {
		t.Error("the replay still hides the text that the last click showed")
	}
}

// ingestTwoWindows sends stock rrweb's two-window recording (package
// recordings) through the ingest API as session id, a batch per window.
// recent loads the recording of that name moved to have ended an hour
// ago: a visit over, and dated by its own clock (recordings.EndingAt).
func recent(t *testing.T, name string) recordings.Recording {
	t.Helper()
	rec, err := recordings.Load(name)
	if err == nil {
		rec, err = rec.EndingAt(time.Now().Add(-time.Hour))
	}
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func ingestTwoWindows(t *testing.T, base, key, id string) {
	t.Helper()
	rec := recent(t, recordings.TwoWindows)
	for _, w := range rec.Windows {
		ingest(t, base, key, id, w.ID, 0, w.Events)
	}
}

// TestReplayTabsOpenTogether records one visitor with two tabs open at the
// same time: one session, two windows, which the player offers one at a
// time rather than mixing two pages into one replay.
func TestReplayTabsOpenTogether(t *testing.T) {
	base, _ := servertest.Start(t)
	list := browser(t)
	do(t, list, "open the product list", chromedp.Navigate(base+"/demo/index.html"))
	waitFor(t, "the recorder in the first tab", func() bool { return eval[bool](t, list, `!!(window.playhead && window.playhead.sessionId)`) })

	product, cancel := chromedp.NewContext(list) // a second tab of the same browser
	defer cancel()
	do(t, product, "open a product in a second tab",
		chromedp.Navigate(base+"/demo/product.html?id=3"),
		chromedp.WaitVisible(chromedp.ID("add-to-cart")),
	)
	waitFor(t, "the recorder in the second tab", func() bool { return eval[bool](t, product, `!!(window.playhead && window.playhead.sessionId)`) })
	do(t, product, "add to cart", chromedp.Click(chromedp.ID("add-to-cart")))
	eval[chromedp.Void](t, product, `window.playhead.flush()`)
	productWindow := eval[string](t, product, `window.playhead.windowId`)
	if a, b := eval[string](t, list, `window.playhead.sessionId`), eval[string](t, product, `window.playhead.sessionId`); a != b {
		t.Fatalf("two tabs of one visitor have sessions %s and %s", a, b)
	}
	// Back in the first tab, the page changes while the second is open.
	eval[chromedp.Void](t, list, `document.querySelector('h1').textContent = 'Still browsing'; window.playhead.flush()`)

	// The index has both windows, and the first one's last batch: the
	// player offers tabs only for windows that overlap in time.
	s := onlySession(t, base, "one session with two windows that overlap", func(s session) bool {
		return len(s.Windows) == 2 &&
			s.Windows[0].End.After(s.Windows[1].Start) && s.Windows[1].End.After(s.Windows[0].Start)
	})

	signIn(t, list, base)
	do(t, list, "open the player",
		chromedp.Navigate(base+s.path()+"?live=0"), // just recorded: as recorded so far, not live
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	if tabs := eval[int](t, list, `document.querySelectorAll('.ph-tab').length`); tabs != 2 {
		t.Fatalf("the player shows %d window tabs, want 2", tabs)
	}
	eval[chromedp.Void](t, list, `window.playheadPlayer.seek(1e9)`)
	waitFor(t, "the end of the first tab", func() bool {
		return replayed[string](t, list, `doc.querySelector('h1') ? doc.querySelector('h1').textContent : ''`) == "Still browsing"
	})
	if !replayed[bool](t, list, `!!doc.querySelector('.product a') && !doc.getElementById('add-to-cart')`) {
		t.Error("the first tab's replay is not the product list alone")
	}
	do(t, list, "pick the second tab",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.ph-tab[data-window=%q]`, productWindow))),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	eval[chromedp.Void](t, list, `window.playheadPlayer.setSpeed(8); window.playheadPlayer.play()`)
	if _, err := chromedp.Run(list, chromedp.Poll[bool](`document.querySelector('#player').dataset.state === 'ended'`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the second window did not play to the end: %v", err)
	}
	if label := eval[string](t, list, `document.querySelectorAll(".ph-tab")[1].textContent`); strings.HasSuffix(label, "0:00–0:00") {
		t.Errorf("the second tab reads %q", label)
	}
	screenshot(t, list, "player-tabs.png")
	if count := replayed[string](t, list, `doc.getElementById('add-to-cart') ? doc.getElementById('cart-count').textContent : ''`); count != "1" {
		t.Errorf("the second tab's replay shows cart %q, want the product page with 1 in the cart", count)
	}
}

// checkMasks checks the demo's checkout form in the replay: the name and
// e-mail fields show the fixed mask, and the password field is an empty
// box without its id, type or value.
func checkMasks(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, f := range []struct{ id, typed string }{{"name", name}, {"email", "ada@example.com"}} {
		if v := replayed[string](t, ctx, fmt.Sprintf(`doc.getElementById(%q).value`, f.id)); v != "******" {
			t.Errorf("#%s replays as %q, want the fixed mask", f.id, v)
		}
	}
	if replayed[bool](t, ctx, `!!doc.getElementById('password') || !!doc.querySelector('input[type=password]')`) {
		t.Error("the replay has the password field, which must not be recorded")
	}
}
