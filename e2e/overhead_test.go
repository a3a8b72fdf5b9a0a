package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

var (
	overheadRounds  = flag.Int("overhead.rounds", 5, "rounds of BenchmarkRecorderOverhead, each running every variant once")
	overheadProfile = flag.String("overhead.profile", "", "folder to write a CPU profile of every visit of BenchmarkRecorderOverhead to (PAGE-VARIANT-*.cpuprofile, for Chromium's DevTools)")
)

// The variants compared: the page alone, the page with stock rrweb's
// record() at its defaults emitting into an array (where every replay tool
// starts from), and the page with Playhead's recorder posting to a server.
var overheadVariants = []string{"page", "rrweb", "playhead"}

// overheadRun is what one visit of one page in one variant cost the page's
// main thread, and what the recording of it weighs.
type overheadRun struct {
	script float64 // ms of script (CDP ScriptDuration, thread time)
	task   float64 // ms of main-thread tasks (CDP TaskDuration, thread time)
	tbt    float64 // ms of total blocking time: long tasks past 50 ms
	bytes  float64 // what the recorder sent (Playhead: on the wire) or would (rrweb: event JSON)
	json   float64 // bytes of event JSON
}

// BenchmarkRecorderOverhead measures what recording costs a page's main
// thread, in Chromium, side by side: each round visits each page in each
// variant, one after the other, so that the machine's noise spreads over
// all of them alike. docs/benchmarks.md has the figures.
//
//	go test ./e2e -run '^$' -bench RecorderOverhead -overhead.rounds 7
func BenchmarkRecorderOverhead(b *testing.B) {
	base, data := servertest.Start(b)
	key := servertest.CreateProject(b, data)
	origin := overheadSite(b, base, key)
	ctx := browserFor(b, time.Hour)
	do(b, ctx, "start the browser", chromedp.Navigate("about:blank"))

	for _, page := range []string{"heavy", "content"} {
		b.Run(page, func(b *testing.B) {
			runs := map[string][]overheadRun{}
			for range b.N {
				clear(runs)
				for round := range *overheadRounds {
					for _, v := range overheadVariants {
						r := overheadVisit(b, ctx, base, origin, page, v)
						runs[v] = append(runs[v], r)
						if !testing.Verbose() {
							continue
						}
						b.Logf("round %d %-8s script %6.0f ms  tasks %6.0f ms  TBT %5.0f ms  sent %7.1f KB (JSON %7.1f KB)",
							round+1, v, r.script, r.task, r.tbt, r.bytes/1024, r.json/1024)
					}
				}
			}
			overheadReport(b, runs)
		})
	}
}

// overheadReport reports medians over the rounds of what each recorder
// adds to the page alone, paired within each round, and Playhead's share
// of rrweb's.
func overheadReport(b *testing.B, runs map[string][]overheadRun) {
	added := func(v string, f func(overheadRun) float64) []float64 {
		var out []float64
		for i, r := range runs[v] {
			out = append(out, f(r)-f(runs["page"][i]))
		}
		return out
	}
	script := func(r overheadRun) float64 { return r.script }
	tbt := func(r overheadRun) float64 { return r.tbt }
	task := func(r overheadRun) float64 { return r.task }
	for _, v := range overheadVariants[1:] {
		s, k, t := added(v, script), added(v, task), added(v, tbt)
		var sent, js []float64
		for _, r := range runs[v] {
			sent = append(sent, r.bytes/1024)
			js = append(js, r.json/1024)
		}
		b.Logf("%-8s added script %s ms, added tasks %s ms, added TBT %s ms, sent %s KB, JSON %s KB",
			v, spread(s), spread(k), spread(t), spread(sent), spread(js))
		b.ReportMetric(median(s), v+"-script-ms")
		b.ReportMetric(median(t), v+"-tbt-ms")
		b.ReportMetric(median(sent), v+"-KB")
	}
	var pageScript, pageTBT []float64
	for _, r := range runs["page"] {
		pageScript, pageTBT = append(pageScript, r.script), append(pageTBT, r.tbt)
	}
	b.Logf("page alone: script %s ms, TBT %s ms", spread(pageScript), spread(pageTBT))
	ratio := func(f func(overheadRun) float64) float64 {
		rr := median(added("rrweb", f))
		if rr <= 0 {
			return math.NaN()
		}
		return median(added("playhead", f)) / rr
	}
	b.ReportMetric(ratio(script), "script-ratio")
	b.ReportMetric(ratio(tbt), "tbt-ratio")
	b.ReportMetric(0, "ns/op")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is "median (min–max)".
func spread(xs []float64) string {
	return fmt.Sprintf("%.0f (%.0f–%.0f)", median(xs), slices.Min(xs), slices.Max(xs))
}

// overheadSite serves the pages of testdata/overhead in each variant:
// /VARIANT/PAGE.html.
func overheadSite(b *testing.B, base, key string) string {
	b.Helper()
	srv := httptest.NewServer(overheadSiteHandler(b, base, key))
	b.Cleanup(srv.Close)
	return srv.URL
}

func overheadSiteHandler(b testing.TB, base, key string) http.Handler {
	b.Helper()
	pages := template.Must(template.ParseGlob("testdata/overhead/*"))
	rrweb, err := os.ReadFile("../web/node_modules/rrweb/dist/rrweb.umd.min.cjs")
	if err != nil {
		b.Fatalf("stock rrweb (npm ci in web/ installs it): %v", err)
	}
	recorders := map[string]template.HTML{
		"page":  "",
		"rrweb": `<script src="/rrweb.js"></script><script>window.__events = []; rrweb.record({ emit: (e) => window.__events.push(e) });</script>`,
		"playhead": template.HTML(fmt.Sprintf(`<script src="%s/playhead.js" data-key="%s" defer></script>`,
			base, template.HTMLEscapeString(key))),
	}
	seq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i + 1
		}
		return s
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rrweb.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(rrweb)
	})
	mux.HandleFunc("GET /{variant}/{page}", func(w http.ResponseWriter, r *http.Request) {
		rec, ok := recorders[r.PathValue("variant")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		data := map[string]any{"Recorder": rec, "Nav": seq(12), "Articles": seq(85)}
		if err := pages.ExecuteTemplate(w, r.PathValue("page"), data); err != nil {
			http.NotFound(w, r)
		}
	})
	return mux
}

// overheadVisit opens page in a new tab, plays its visit, and measures.
func overheadVisit(b *testing.B, browserCtx context.Context, base, origin, page, variant string) overheadRun {
	b.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	wireBefore, jsonBefore := ingestBytes(b, base)

	metrics := func() map[string]float64 {
		res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (performance.GetMetricsResult, error) {
			return cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
		})
		if err != nil {
			b.Fatalf("performance metrics: %v", err)
		}
		m := map[string]float64{}
		for _, x := range res.Metrics {
			m[x.Name] = x.Value
		}
		return m
	}
	do(b, ctx, "enable the performance metrics", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// Thread time: what the main thread spent, not how long it waited
		// for a core on a busy machine.
		_, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks})
		return err
	}))
	if *overheadProfile != "" {
		// A tab's profiler starts over in a new renderer: the site first.
		do(b, ctx, "open the site", chromedp.Navigate(origin+"/"))
		do(b, ctx, "start the profiler", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
			return err
		}))
	}
	before := metrics()
	do(b, ctx, "open the page", chromedp.Navigate(fmt.Sprintf("%s/%s/%s.html", origin, variant, page)))
	// Recording has started: rrweb's first full snapshot, or Playhead's
	// session.
	ready := map[string]string{
		"page":     `document.readyState === "complete"`,
		"rrweb":    `document.readyState === "complete" && window.__events.some((e) => e.type === 2)`,
		"playhead": `document.readyState === "complete" && !!(window.playhead && window.playhead.sessionId)`,
	}[variant]
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		b.Fatalf("%s/%s did not get ready: %v", variant, page, err)
	}
	if page == "heavy" {
		eval[chromedp.Void](b, ctx, `window.bench.run(600)`)
	} else {
		contentVisit(b, ctx)
	}
	if variant == "playhead" {
		// What the recorder still holds goes out as it would within 2 s.
		eval[chromedp.Void](b, ctx, `window.playhead.flush()`)
	}
	after := metrics()
	r := overheadRun{
		script: 1000 * (after["ScriptDuration"] - before["ScriptDuration"]),
		task:   1000 * (after["TaskDuration"] - before["TaskDuration"]),
		tbt:    eval[float64](b, ctx, `window.__longtasks.reduce((s, d) => s + Math.max(0, d - 50), 0)`),
	}
	if *overheadProfile != "" {
		writeProfile(b, ctx, page+"-"+variant)
	}
	if variant == "rrweb" {
		r.json = eval[float64](b, ctx, `new Blob([JSON.stringify(window.__events)]).size`)
		r.bytes = r.json
	}
	// Closing the tab hides the page: Playhead sends its last events then.
	cancel()
	if variant == "playhead" {
		// What the server counted for this visit, once the page's last
		// requests have arrived.
		var wire, js float64
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			w, j := ingestBytes(b, base)
			if w-wireBefore == wire && wire > 0 {
				break
			}
			wire, js = w-wireBefore, j-jsonBefore
		}
		r.bytes, r.json = wire, js
	}
	return r
}

// writeProfile stops the tab's profiler and writes what it sampled (wall
// time, unlike the benchmark's figures) to the -overhead.profile folder.
func writeProfile(b *testing.B, ctx context.Context, name string) {
	b.Helper()
	res, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (profiler.StopResult, error) {
		return cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
	})
	if err != nil {
		b.Fatalf("stop the profiler: %v", err)
	}
	raw, err := json.Marshal(res.Profile)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.CreateTemp(*overheadProfile, name+"-*.cpuprofile")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(raw); err != nil {
		b.Fatal(err)
	}
}

// contentVisit is a scripted visit of about ten seconds: the pointer
// wanders, the page scrolls, three articles open and a comment is typed.
func contentVisit(b *testing.B, ctx context.Context) {
	b.Helper()
	move := func(x, y float64) chromedp.Action[chromedp.Void] {
		return chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y)
	}
	wheel := func(dy float64) chromedp.Action[chromedp.Void] {
		// By hand: cdproto leaves out a deltaX of 0, which Chromium wants.
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			return t.Call(ctx, "Input.dispatchMouseEvent", map[string]any{"type": "mouseWheel", "x": 400, "y": 400, "deltaX": 0, "deltaY": dy}, nil)
		})
	}
	pause := func(ms int) chromedp.Action[chromedp.Void] {
		return chromedp.Sleep(time.Duration(ms) * time.Millisecond)
	}
	var steps []chromedp.Action[chromedp.Void]
	// 3 s of the pointer wandering over the text.
	for i := range 100 {
		steps = append(steps, move(100+float64(i*6), 200+150*math.Sin(float64(i)/8)), pause(30))
	}
	// 2 s of reading down the page.
	for i := range 16 {
		steps = append(steps, wheel(250), move(300+float64(i*10), 400), pause(120))
	}
	do(b, ctx, "wander and scroll", steps...)
	// Three articles in view opened, 0.5 s apart.
	for range 3 {
		xy := eval[[]float64](b, ctx, `(() => {
			const b = [...document.querySelectorAll('.toggle')].find((b) => b.getBoundingClientRect().top > 0 && b.textContent === 'Read more');
			if (b.getBoundingClientRect().bottom > innerHeight) b.scrollIntoView({block: 'center'});
			const r = b.getBoundingClientRect();
			return [r.left + r.width / 2, r.top + r.height / 2];
		})()`)
		var glide []chromedp.Action[chromedp.Void]
		for i := range 10 {
			glide = append(glide, move(xy[0]-float64(10-i)*8, xy[1]-float64(10-i)*4), pause(30))
		}
		do(b, ctx, "open an article", append(glide, chromedp.MouseClickXY(xy[0], xy[1]), pause(200))...)
	}
	// To the comment form, then 4 s of typing.
	eval[chromedp.Void](b, ctx, `document.getElementById('name').scrollIntoView({block: 'center'})`)
	typeInto := func(id, text string, gap int) {
		xy := eval[[]float64](b, ctx, fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return [r.left + 10, r.top + r.height / 2] })()`, id))
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseClickXY(xy[0], xy[1])}
		for _, c := range text {
			steps = append(steps, chromedp.KeyEvent(string(c)), pause(gap))
		}
		do(b, ctx, "type into #"+id, steps...)
	}
	typeInto("name", "Ada Lovelace", 80)
	typeInto("text", "The basil did well by the south wall this year.", 60)
}

// ingestBytes reads the server's count of accepted bytes, on the wire and
// as event JSON (playhead_ingest_bytes_total).
func ingestBytes(b *testing.B, base string) (wire, json float64) {
	b.Helper()
	// The metrics are the operator's: servertest.Get signs in as one.
	resp, err := servertest.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case `playhead_ingest_bytes_total{kind="wire"}`:
			wire = v
		case `playhead_ingest_bytes_total{kind="json"}`:
			json = v
		}
	}
	return wire, json
}
