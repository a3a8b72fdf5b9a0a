package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/synth"
)

// BenchmarkPlayerFirstFrame opens generated sessions of 1, 60 and 180
// minutes, compacted into chunks, side by side in Chromium, and reports
// for each the time from navigation to the first frame drawn; the time a
// seek to 90 % takes to show that moment, once the player has read the
// session for its panes: called through the player's API with no warning
// (seek), and as a click on the seek bar, held 100 ms as a click is, from
// its release (click-seek, clicksPerRound of them, each after a click at
// 10 %); and the time from navigation to a link to the moment (?t=)
// showing it (link).
//
//	go test -run '^$' -bench PlayerFirstFrame -benchtime 5x ./e2e
func BenchmarkPlayerFirstFrame(b *testing.B) {
	base, project, totals := benchSessions(b)
	ctx := browser(b)
	signIn(b, ctx, base)
	first, seek, click, link := map[int]float64{}, map[int]float64{}, map[int]float64{}, map[int]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, minutes := range benchLengths {
			first[minutes] += openBenchSession(b, ctx, base, project, minutes)
			waitRead(b, ctx)
			target := totals[minutes] * 9 / 10
			res, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(async () => {
				const root = document.querySelector("#player");
				const t0 = performance.now();
				window.playheadPlayer.seek(%d);
				// Waits for the player to show the moment, then for the next
				// frame: waiting on frames meanwhile would count one more.
				await new Promise((shown) => {
					const done = () => root.dataset.state !== "loading" && (watch.disconnect(), shown());
					const watch = new MutationObserver(done);
					watch.observe(root, { attributes: true, attributeFilter: ["data-state"] });
					done();
				});
				await new Promise(requestAnimationFrame);
				return [performance.now() - t0, Number(root.dataset.time)];
			})()`, target), chromedp.EvalAwaitPromise))
			if err != nil {
				b.Fatal(err)
			}
			if int64(res[1]) != target {
				b.Fatalf("%d minutes: seek to %d ms shows %v ms", minutes, target, res[1])
			}
			seek[minutes] += res[0]
			openBenchSession(b, ctx, base, project, minutes)
			waitRead(b, ctx)
			for range clicksPerRound {
				clickSeek(b, ctx, totals[minutes], 0.1)
				click[minutes] += clickSeek(b, ctx, totals[minutes], 0.9) / clicksPerRound
			}
			link[minutes] += openLink(b, ctx, base, project, minutes, totals[minutes])
		}
	}
	reportByLength(b, n, "ms-first-frame", first)
	reportByLength(b, n, "ms-seek-90%", seek)
	reportByLength(b, n, "ms-click-seek-90%", click)
	reportByLength(b, n, "ms-link-90%", link)
}

// reportByLength reports, for each of benchLengths, the mean over n rounds
// of its sum, as unit-<minutes>min.
func reportByLength(b *testing.B, n int, unit string, sums map[int]float64) {
	for _, minutes := range benchLengths {
		b.ReportMetric(sums[minutes]/float64(n), fmt.Sprintf("%s-%dmin", unit, minutes))
	}
}

// openLink opens a link to 90 % (whole seconds) of the generated session
// of minutes, total ms long, and says how long from navigation the player
// took to show that moment.
func openLink(b *testing.B, ctx context.Context, base string, project int64, minutes int, total int64) float64 {
	b.Helper()
	seconds := total * 9 / 10 / 1000
	ms := seconds * 1000
	// Watches the player from the page's first script on.
	watch, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(`
		window.shown = new Promise((shown) => new MutationObserver((_, watch) => {
			const root = document.querySelector("#player");
			if (root && root.dataset.state === "paused" && root.dataset.time === "%d") {
				watch.disconnect();
				requestAnimationFrame(() => shown(performance.now()));
			}
		}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-state", "data-time"] }));`, ms)})
	if err != nil {
		b.Fatal(err)
	}
	defer chromedp.Call(ctx, cdppage.RemoveScriptToEvaluateOnNewDocument, cdppage.RemoveScriptToEvaluateOnNewDocumentParams(watch))
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/projects/%d/sessions/s%d?t=%d", base, project, minutes, seconds))); err != nil {
		b.Fatal(err)
	}
	return eval[float64](b, ctx, `window.shown`)
}

// clicksPerRound is how many clicks at 90 % BenchmarkPlayerFirstFrame
// makes on each session in a round: one click's figure is mostly where in
// the browser's frame it came.
const clicksPerRound = 4

// clickSeek clicks the seek bar of a player at the fraction at of its total
// ms (pressed for 100 ms, the player seeking on release) and says how long
// from the release the player took to show that moment, to the next frame.
func clickSeek(b *testing.B, ctx context.Context, total int64, at float64) float64 {
	b.Helper()
	bar, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
		const root = document.querySelector("#player"), bar = document.querySelector(".ph-progress");
		window.clicked = new Promise((shown) => bar.addEventListener("pointerup", () => {
			const t0 = performance.now();
			const done = () => root.dataset.state !== "loading" && Math.abs(Number(root.dataset.time) - %.0f) < 1000 &&
				(watch.disconnect(), requestAnimationFrame(() => shown(performance.now() - t0)));
			const watch = new MutationObserver(done);
			watch.observe(root, { attributes: true, attributeFilter: ["data-state", "data-time"] });
		}, { capture: true, once: true }));
		bar.scrollIntoView({ block: "center" });
		const r = bar.getBoundingClientRect();
		return [r.left + %[2]g * r.width, r.top + r.height / 2];
	})()`, float64(total)*at, at)))
	if err != nil {
		b.Fatal(err)
	}
	x, y := bar[0], bar[1]
	err = chromedp.Do(ctx,
		chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Sleep(100*time.Millisecond),
		chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	if err != nil {
		b.Fatal(err)
	}
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.clicked`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatal(err)
	}
	return ms
}

// BenchmarkPlayerFirstFrameLatency is the first frame and the link to 90 %
// of BenchmarkPlayerFirstFrame with 50 ms between the browser and the server
// (Chromium's network emulation), as over a real connection, where each
// request the page waits for before the next costs that much again.
//
//	go test -run '^$' -bench PlayerFirstFrameLatency -benchtime 3x ./e2e
func BenchmarkPlayerFirstFrameLatency(b *testing.B) {
	base, project, totals := benchSessions(b)
	ctx := browser(b)
	signIn(b, ctx, base)
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: 50, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
		b.Fatal(err)
	}
	first, link := map[int]float64{}, map[int]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, minutes := range benchLengths {
			first[minutes] += openBenchSession(b, ctx, base, project, minutes)
			link[minutes] += openLink(b, ctx, base, project, minutes, totals[minutes])
		}
	}
	reportByLength(b, n, "ms-first-frame", first)
	reportByLength(b, n, "ms-link-90%", link)
}

// openBenchSession opens the generated session of minutes in the player
// and says when its first frame was drawn, in ms from navigation.
func openBenchSession(b *testing.B, ctx context.Context, base string, project int64, minutes int) float64 {
	b.Helper()
	url := fmt.Sprintf("%s/projects/%d/sessions/s%d", base, project, minutes)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`))); err != nil {
		b.Fatalf("open %s: %v", url, err)
	}
	return eval[float64](b, ctx, `performance.getEntriesByName("playhead:first-frame")[0].startTime`)
}

// waitRead waits until the player has read the whole session for its
// panes and timeline, which it does in the background once it has shown
// the first frame.
func waitRead(b *testing.B, ctx context.Context) {
	b.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#player[data-panes="filled"]`))); err != nil {
		b.Fatal(err)
	}
}

// benchLengths are the lengths, in minutes, of the generated sessions the
// player's benchmarks open.
var benchLengths = []int{1, 60, 180}

// benchSessions starts a server holding a generated session of each of
// benchLengths, compacted into chunks, named s1, s60 and s180, and says
// each one's length in ms.
func benchSessions(b *testing.B) (base string, project int64, totals map[int]int64) {
	b.Helper()
	base, data := servertest.Start(b, func(c *server.Config) {
		c.Ingest.RateClient.Per = 0
		c.CompactQuiet, c.CompactEvery = 5*time.Second, 200*time.Millisecond
	})
	p := servertest.Project(b, data)
	totals = map[int]int64{}
	for _, minutes := range benchLengths {
		id := fmt.Sprintf("s%d", minutes)
		if _, err := synth.Send(context.Background(), http.DefaultClient, base, p.Key, id, uint64(minutes), minutes, time.Now().Add(-4*time.Hour).UnixMilli()); err != nil {
			b.Fatal(err)
		}
		totals[minutes] = servertest.WaitCompacted(b, fmt.Sprintf("%s/api/v1/projects/%d/sessions/%s", base, p.ID, id))
	}
	return base, p.ID, totals
}

// BenchmarkPlayerMemory plays and seeks through generated sessions of 1,
// 60 and 180 minutes in Chromium, side by side, and reports the page's
// JavaScript heap after each (Runtime.getHeapUsage after a forced garbage
// collection; the replay's iframe shares the page's heap): the player
// must not hold a long session's whole recording, so the 60- and 180-minute
// figures should stay within 1.5 times the 1-minute one.
//
//	go test -run '^$' -bench PlayerMemory -benchtime 2x ./e2e
func BenchmarkPlayerMemory(b *testing.B) {
	base, project, totals := benchSessions(b)
	browserCtx := browserFor(b, 20*time.Minute)
	if err := chromedp.Do(browserCtx); err != nil {
		b.Fatal(err)
	}
	// Signed in once: logins are rate limited, and each page below opens
	// in a browser context of its own, which takes the login's cookies.
	first, cancelFirst := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	signIn(b, first, base)
	got, err := chromedp.Call(first, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	cancelFirst()
	if err != nil {
		b.Fatal(err)
	}
	var cookies []*network.CookieParam
	for _, c := range got.Cookies {
		cookies = append(cookies, &network.CookieParam{Name: c.Name, Value: c.Value, URL: base, HTTPOnly: c.HTTPOnly, SameSite: c.SameSite})
	}
	heap := map[int]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, minutes := range benchLengths {
			// Each in a browser context of its own, so in a renderer of its
			// own: what one page left in a heap is not counted for the next.
			ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
			if _, err := chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: cookies}); err != nil {
				b.Fatal(err)
			}
			openBenchSession(b, ctx, base, project, minutes)
			// Play a moment at 8x from each tenth of the session, from the
			// start to the end, then wait for the fetching to settle.
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(async () => {
				const p = window.playheadPlayer, root = document.querySelector("#player");
				const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
				const settled = async () => { while (root.dataset.state === "loading") await sleep(20); };
				p.setSpeed(8);
				for (let f = 0; f <= 10; f++) {
					p.seek(%d * f / 10);
					await settled();
					p.play();
					await sleep(300);
					p.pause();
				}
				const fetched = () => performance.getEntriesByType("resource").filter((e) => e.name.includes("/events")).length;
				for (let last = -1; last !== fetched() || root.dataset.panes !== "filled"; await sleep(1500)) last = fetched();
				return true;
			})()`, totals[minutes]), chromedp.EvalAwaitPromise))
			if err != nil {
				b.Fatal(err)
			}
			heap[minutes] += heapUsed(b, ctx) + workersHeap(b, ctx)
			cancel()
		}
	}
	for _, minutes := range benchLengths {
		b.ReportMetric(heap[minutes]/float64(n)/(1<<20), fmt.Sprintf("MiB-heap-%dmin", minutes))
	}
	b.ReportMetric(heap[60]/heap[1], "heap-60/1")
	b.ReportMetric(heap[180]/heap[1], "heap-180/1")
}

// heapUsed is the heap the target of ctx uses after a collection.
func heapUsed(b *testing.B, ctx context.Context) float64 {
	b.Helper()
	if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		b.Fatal(err)
	}
	use, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		b.Fatal(err)
	}
	return use.UsedSize + use.EmbedderHeapUsedSize
}

// workersHeap is the heap the dedicated workers of the browser use (the
// player's reads the panes' segments): the page's memory is its heap and
// theirs. Each page of the benchmark is alone in the browser.
func workersHeap(b *testing.B, ctx context.Context) float64 {
	b.Helper()
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		b.Fatal(err)
	}
	sum := 0.0
	for _, t := range targets {
		if t.Type != "worker" {
			continue
		}
		wctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(t.TargetID))
		sum += heapUsed(b, wctx)
		cancel()
	}
	return sum
}

// BenchmarkPlayerBackground opens generated sessions of 1, 60 and 180
// minutes in Chromium and reports the main thread's work in the 5 s after
// the first frame, while the player reads the rest of the session for the
// panes and the timeline: in all (ms-main-thread, Chromium's TaskDuration)
// and in its longest stretch without a break (ms-longest-busy, what a
// viewer's click may wait for).
//
//	go test -run '^$' -bench PlayerBackground -benchtime 3x ./e2e
func BenchmarkPlayerBackground(b *testing.B) {
	base, project, _ := benchSessions(b)
	ctx := browser(b)
	signIn(b, ctx, base)
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
		b.Fatal(err)
	}
	busy, longest := map[int]float64{}, map[int]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, minutes := range benchLengths {
			openBenchSession(b, ctx, base, project, minutes)
			before := taskSeconds(b, ctx)
			time.Sleep(5 * time.Second)
			busy[minutes] += (taskSeconds(b, ctx) - before) * 1000
			// Again, watching the main thread: a message to itself, sent
			// again as soon as it arrives, comes back at once unless the
			// thread is busy.
			openBenchSession(b, ctx, base, project, minutes)
			longest[minutes] += eval[float64](b, ctx, `new Promise((done) => {
				const channel = new MessageChannel(), end = performance.now() + 5000;
				let last = performance.now(), longest = 0;
				channel.port1.onmessage = () => {
					const now = performance.now();
					longest = Math.max(longest, now - last);
					last = now;
					if (now < end) channel.port2.postMessage(0);
					else done(longest);
				};
				channel.port2.postMessage(0);
			})`)
		}
	}
	reportByLength(b, n, "ms-main-thread", busy)
	reportByLength(b, n, "ms-longest-busy", longest)
}

// taskSeconds is the time the page's main thread has spent on tasks.
func taskSeconds(b *testing.B, ctx context.Context) float64 {
	b.Helper()
	m, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		b.Fatal(err)
	}
	for _, metric := range m.Metrics {
		if metric.Name == "TaskDuration" {
			return metric.Value
		}
	}
	b.Fatal("Chromium reports no TaskDuration")
	return 0
}

// BenchmarkFastForward times rrweb's two ways of applying a seek's
// changes at once, on the replayed page itself and through a copy of it in
// plain objects (its virtual DOM), in Chromium, on the same events: the
// minute of a generated shop session (a page of some 3,000 nodes and a few
// changes a second), and a page of 500 nodes that replaces a list of 100
// items ten times a second for 100 s. The player takes the copy only when a
// seek applies more than 20 changes per node of the page (seek.ts): these
// figures are why.
//
//	go test -run '^$' -bench FastForward -benchtime 5x ./e2e
func BenchmarkFastForward(b *testing.B) {
	base, p := compactedSession(b, "shop", 1, 1)
	ctx := browser(b)
	signIn(b, ctx, base)
	page := fmt.Sprintf("%s/projects/%d/sessions/shop", base, p.ID)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`))); err != nil {
		b.Fatal(err)
	}
	// The player's own Replayer class; the events, fetched and generated
	// once.
	eval[chromedp.Void](b, ctx, fmt.Sprintf(`(async () => {
		window.shop = await (await fetch("/api/v1/projects/%d/sessions/shop/events")).json();
		let id = 10;
		const t0 = window.shop[0].timestamp, list = ++id, kids = [];
		const li = (n) => ({ type: 2, tagName: "li", attributes: {}, childNodes: [{ type: 3, textContent: "item " + n, id: ++id }], id: ++id });
		for (let i = 0; i < 200; i++) kids.push({ type: 2, tagName: "p", attributes: { class: "c" + (i %% 7) }, childNodes: [{ type: 3, textContent: "text " + i, id: ++id }], id: ++id });
		let items = [];
		for (let k = 0; k < 100; k++) items.push(li(k));
		const ul = { type: 2, tagName: "ul", attributes: {}, childNodes: items, id: list };
		const html = { type: 2, tagName: "html", attributes: {}, id: 3, childNodes: [{ type: 2, tagName: "head", attributes: {}, childNodes: [], id: 4 },
			{ type: 2, tagName: "body", attributes: {}, childNodes: [...kids, ul], id: 5 }] };
		const churn = [{ type: 4, data: { href: "http://shop.test/", width: 1280, height: 800 }, timestamp: t0 },
			{ type: 2, data: { node: { type: 0, childNodes: [{ type: 1, name: "html", publicId: "", systemId: "", id: 2 }, html], id: 1 }, initialOffset: { left: 0, top: 0 } }, timestamp: t0 }];
		for (let s = 1; s <= 1000; s++) {
			const removes = items.map((n) => ({ parentId: list, id: n.id }));
			items = [];
			for (let k = 0; k < 100; k++) items.push(li(s * 100 + k));
			churn.push({ type: 3, data: { source: 0, texts: [], attributes: [], removes, adds: items.map((node) => ({ parentId: list, nextId: null, node })) }, timestamp: t0 + s * 100 });
		}
		window.churn = churn;
	})()`, p.ID))
	sum := map[string]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, events := range []string{"shop", "churn"} {
			for _, virtual := range []bool{false, true} {
				ms := eval[float64](b, ctx, fmt.Sprintf(`(async () => {
					const events = window.%s, root = document.createElement("div");
					document.body.append(root);
					const r = new window.playheadPlayer.replayer.constructor(events, { root, useVirtualDom: %t, showWarning: false });
					r.pause(0);
					await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)));
					const t0 = performance.now();
					r.pause(events[events.length - 1].timestamp - events[0].timestamp);
					await new Promise(requestAnimationFrame);
					const ms = performance.now() - t0;
					r.destroy();
					root.remove();
					return ms;
				})()`, events, virtual))
				way := "page"
				if virtual {
					way = "virtual"
				}
				sum["ms-"+events+"-"+way] += ms
			}
		}
	}
	for k, v := range sum {
		b.ReportMetric(v/float64(n), k)
	}
}
