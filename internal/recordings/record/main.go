// Command record makes the recordings of package recordings again: it
// serves the demo shop with Playhead's recorder and the fixture site with
// stock rrweb, walks through both in Debian's Chromium (headless) and writes
// what was recorded. scripts/record-fixtures.sh runs it from the
// repository's root after building the recorder.
package main

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/demo"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/web"
)

//go:embed site
var site embed.FS

func main() {
	out := flag.String("out", "internal/recordings/testdata", "folder to write the recordings to")
	only := flag.String("only", "", "record only the recording of this name (default: all)")
	rrwebJS := flag.String("rrweb", "web/node_modules/rrweb/dist/rrweb.umd.min.cjs", "stock rrweb's browser bundle (npm package rrweb)")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the Chromium to record in")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *only, *rrwebJS, *chromium); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, only, rrwebJS, chromium string) error {
	if _, err := fs.Stat(web.Build, "playhead.js"); err != nil {
		return fmt.Errorf("no recorder bundle (run make build first): %w", err)
	}
	rrweb, err := os.ReadFile(rrwebJS)
	if err != nil {
		return fmt.Errorf("stock rrweb (npm ci in web/ installs it): %w", err)
	}
	col := &collector{batches: map[string]map[int64][]json.RawMessage{}}
	base, shutdown, err := serve(col, rrweb)
	if err != nil {
		return err
	}
	defer shutdown()

	ctx, cancel := browser(ctx, chromium)
	defer cancel()

	walks := map[string]func() ([]recordings.Window, error){
		recordings.DemoShop:   func() ([]recordings.Window, error) { return recordDemoShop(ctx, base, col) },
		recordings.TwoWindows: func() ([]recordings.Window, error) { return recordTwoWindows(ctx, base) },
		recordings.Signals:    func() ([]recordings.Window, error) { return recordSignals(ctx, base, col) },
		recordings.Struggle:   func() ([]recordings.Window, error) { return recordStruggle(ctx, base, col) },
	}
	if only != "" && walks[only] == nil {
		return fmt.Errorf("no recording is named %q", only)
	}
	for _, name := range recordings.Names {
		if only != "" && name != only {
			continue
		}
		windows, err := walks[name]()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		path := filepath.Join(out, name+".jsonl")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = recordings.Write(f, windows)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		// A row for the table of testdata/README.md.
		facts := recordings.Recording{Windows: windows}.Facts()
		fmt.Printf("| `%s.jsonl` | %d | %d | %d | %d | %d |\n",
			name, facts.Windows, facts.Events, facts.Pages, facts.DurationMS, st.Size())
	}
	return nil
}

// serve starts the site on a loopback port: the demo shop and the recorder
// as Playhead serves them, the fixture site with stock rrweb, and an ingest
// endpoint that keeps what the recorder sends.
func serve(col *collector, rrweb []byte) (base string, shutdown func(), err error) {
	shop, err := demo.New(web.Demo, demo.Snippet("", "fixture"))
	if err != nil {
		return "", nil, err
	}
	pages, _ := fs.Sub(site, "site")
	mux := http.NewServeMux()
	mux.Handle("GET /demo/", http.StripPrefix("/demo", shop))
	mux.HandleFunc("GET /playhead.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, web.Build, "playhead.js")
	})
	mux.Handle("POST /api/v1/ingest", col)
	mux.HandleFunc("GET /rrweb.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(rrweb)
	})
	mux.Handle("GET /site/", http.StripPrefix("/site", http.FileServerFS(pages)))
	// The struggle fixture's backend: a request that fails, one that is
	// slow, and an image that comes late.
	mux.HandleFunc("GET /fixture/prices", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "price service down", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /fixture/stock", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3500 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"stock":3}`)
	})
	mux.HandleFunc("GET /fixture/hero.svg", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(4500 * time.Millisecond)
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(hero())
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// collector keeps the batches the recorder posts, after the same checks
// the server's ingest endpoint makes.
type collector struct {
	mu      sync.Mutex
	batches map[string]map[int64][]json.RawMessage // window → seq → events
	last    time.Time
	err     error
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ingest.DefaultLimits.MaxBody))
	var events []json.RawMessage
	var env *ingest.Envelope
	if err == nil {
		env, err = ingest.Decode(body, r.Header.Get("Content-Encoding"), time.Now(), ingest.DefaultLimits)
	}
	if err == nil {
		var raw []byte
		if raw, err = batch.Decompress(env.Batch.Events); err == nil {
			err = json.Unmarshal(raw, &events)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = time.Now()
	if err != nil {
		c.err = errors.Join(c.err, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b := env.Batch
	if c.batches[b.Window] == nil {
		c.batches[b.Window] = map[int64][]json.RawMessage{}
	}
	c.batches[b.Window][b.Seq] = events
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"stored":"new"}`)
}

// oneWindow is windows for a walk that kept to one tab.
func (c *collector) oneWindow(ctx context.Context) ([]recordings.Window, error) {
	windows, err := c.windows(ctx)
	if err != nil {
		return nil, err
	}
	if len(windows) != 1 {
		return nil, fmt.Errorf("%d windows recorded, want 1", len(windows))
	}
	return windows, nil
}

// reset forgets what was collected, for the next recording.
func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches, c.err = map[string]map[int64][]json.RawMessage{}, nil
}

// windows waits until no batch has come for a second, then returns every
// window's events: batches in seq order, events in timestamp order.
func (c *collector) windows(ctx context.Context) ([]recordings.Window, error) {
	for {
		c.mu.Lock()
		quiet := time.Since(c.last) > time.Second
		c.mu.Unlock()
		if quiet {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	var out []recordings.Window
	for id, bySeq := range c.batches {
		var events []json.RawMessage
		for _, seq := range slices.Sorted(maps.Keys(bySeq)) {
			events = append(events, bySeq[seq]...)
		}
		rec := recordings.Recording{Windows: []recordings.Window{{ID: id, Events: events}}}
		out = append(out, recordings.Window{ID: id, Events: rec.Events()})
	}
	slices.SortFunc(out, func(a, b recordings.Window) int {
		return cmp.Compare(recordings.Timestamp(a.Events[0]), recordings.Timestamp(b.Events[0]))
	})
	return out, nil
}

// browser starts Debian's Chromium, headless, with a fresh profile: the
// options of the browser tests (e2e).
func browser(ctx context.Context, path string) (context.Context, context.CancelFunc) {
	dir, _ := os.MkdirTemp("", "playhead-record-")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelCtx := chromedp.NewContext(allocCtx)
	bctx, cancelTimeout := context.WithTimeout(bctx, 3*time.Minute)
	return bctx, func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dir)
	}
}

// void runs a, leaving out its value.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// wander moves the mouse from (x0, y0) to (x1, y1) in steps, as a hand
// does, so that the recordings hold mouse moves: chromedp's clicks move
// nothing.
func wander(x0, y0, x1, y1 float64) chromedp.Action[chromedp.Void] {
	const steps = 12
	var moves []chromedp.Action[chromedp.Void]
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		moves = append(moves,
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f),
			chromedp.Sleep(40*time.Millisecond))
	}
	return chromedp.Steps(moves...)
}

// pause lets the page's own timers and rrweb's sampling run, so that the
// recording has the gaps a person leaves between actions.
func pause(d time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Sleep(d)
}

// recordDemoShop walks through the demo shop as the browser tests do:
// the product list, a product added to the cart, the checkout filled in
// (typing masked by the recorder) and the order placed.
func recordDemoShop(ctx context.Context, base string, col *collector) ([]recordings.Window, error) {
	col.reset()
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	err := chromedp.Do(tab,
		chromedp.Navigate(base+"/demo/"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="product.html?id=2"]`)),
		void(chromedp.Poll[bool](`!!(window.playhead && window.playhead.sessionId)`)),
		wander(100, 100, 600, 400),
		chromedp.Click(chromedp.CSS(`a[href="product.html?id=2"]`)),
		chromedp.WaitVisible(chromedp.ID("add-to-cart")),
		wander(300, 200, 800, 350),
		chromedp.Click(chromedp.ID("add-to-cart")),
		pause(500*time.Millisecond),
		chromedp.Click(chromedp.CSS("a.cart")),
		chromedp.WaitVisible(chromedp.ID("checkout-form")),
		chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.SetValue(chromedp.ID("country"), "gb"),
		chromedp.Click(chromedp.ID("apply-coupon")),
		pause(500*time.Millisecond),
		chromedp.Click(chromedp.ID("place-order")),
		chromedp.WaitVisible(chromedp.ID("confirmation")),
		chromedp.Evaluate[chromedp.Void](`window.playhead.flush()`, chromedp.EvalAwaitPromise),
	)
	if err != nil {
		return nil, err
	}
	return col.oneWindow(ctx)
}

// recordTwoWindows records the fixture site with stock rrweb: the first
// page in one tab (a list grown by clicks, a form filled in and sent), then,
// after that tab has closed, the second page in a new tab.
func recordTwoWindows(ctx context.Context, base string) ([]recordings.Window, error) {
	first, err := recordTab(ctx, base+"/site/index.html",
		wander(50, 50, 200, 250),
		chromedp.Click(chromedp.ID("add")),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("add")),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("add")),
		chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SetValue(chromedp.ID("plan"), "team"),
		chromedp.Click(chromedp.ID("terms")),
		chromedp.SendKeys(chromedp.ID("note"), "Recorded for Playhead's tests."),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("status")),
		void(chromedp.Evaluate[any](`window.scrollTo(0, 300)`)),
	)
	if err != nil {
		return nil, err
	}
	// A gap between the windows, as between a tab closed and one opened.
	time.Sleep(1500 * time.Millisecond)
	second, err := recordTab(ctx, base+"/site/second.html",
		wander(400, 400, 100, 120),
		chromedp.Click(chromedp.CSS("#more summary")),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("step")),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("step")),
		pause(300*time.Millisecond),
		chromedp.Click(chromedp.ID("step")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		return nil, err
	}
	return []recordings.Window{{ID: "tab-1", Events: first}, {ID: "tab-2", Events: second}}, nil
}

// recordTab opens url in a new tab, waits for rrweb's first snapshot, does
// the actions and returns what rrweb emitted, in the order it did.
func recordTab(ctx context.Context, url string, actions ...chromedp.Action[chromedp.Void]) ([]json.RawMessage, error) {
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	steps := append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url),
		void(chromedp.Poll[bool](`window.fixtureEvents && window.fixtureEvents.some(e => e.type === 2)`)),
		pause(500 * time.Millisecond),
	}, actions...)
	steps = append(steps, pause(500*time.Millisecond))
	if err := chromedp.Do(tab, steps...); err != nil {
		return nil, err
	}
	raw, err := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify(window.fixtureEvents)`))
	if err != nil {
		return nil, err
	}
	var events []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &events); err != nil {
		return nil, err
	}
	return events, nil
}

// recordSignals walks through the signals fixture with Playhead's
// recorder, doing on purpose what the detectors look for and what they
// must let be: a stepper clicked five times in two seconds that counts
// (no rage click), a "Buy now" button that does nothing clicked four times
// (a rage click and a dead click), a coupon button whose handler throws
// (an error click and a JS error), a paragraph selected with a triple
// click (neither), and a page left for another and returned to within
// seconds (a quick back).
func recordSignals(ctx context.Context, base string, col *collector) ([]recordings.Window, error) {
	col.reset()
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	clicks := func(sel string, n int, gap time.Duration) chromedp.Action[chromedp.Void] {
		var steps []chromedp.Action[chromedp.Void]
		for range n {
			steps = append(steps, chromedp.Click(chromedp.CSS(sel)), pause(gap))
		}
		return chromedp.Steps(steps...)
	}
	var prose []float64
	err := chromedp.Do(tab,
		chromedp.Navigate(base+"/site/signals.html"),
		void(chromedp.Poll[bool](`!!(window.playhead && window.playhead.sessionId)`)),
		pause(500*time.Millisecond),
		wander(100, 100, 300, 200),
		clicks("#plus", 5, 350*time.Millisecond),
		pause(3*time.Second),
		clicks("#buy", 4, 300*time.Millisecond),
		pause(3*time.Second),
		clicks("#coupon", 1, time.Second),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			var err error
			prose, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](
				`(() => { const r = document.getElementById('prose').getBoundingClientRect(); return [r.left + 20, r.top + r.height / 2] })()`))
			return chromedp.Void{}, err
		},
	)
	if err != nil {
		return nil, err
	}
	err = chromedp.Do(tab,
		chromedp.MouseClickXY(prose[0], prose[1], chromedp.ClickCount(1)),
		chromedp.MouseClickXY(prose[0], prose[1], chromedp.ClickCount(2)),
		chromedp.MouseClickXY(prose[0], prose[1], chromedp.ClickCount(3)),
		pause(3*time.Second),
		chromedp.Click(chromedp.ID("to-b")),
		chromedp.WaitVisible(chromedp.ID("back")),
		void(chromedp.Poll[bool](`!!(window.playhead && window.playhead.sessionId)`)),
		pause(2*time.Second),
		chromedp.Click(chromedp.ID("back")),
		chromedp.WaitVisible(chromedp.ID("buy")),
		void(chromedp.Poll[bool](`!!(window.playhead && window.playhead.sessionId)`)),
		pause(time.Second),
		chromedp.Evaluate[chromedp.Void](`window.playhead.flush()`, chromedp.EvalAwaitPromise),
	)
	if err != nil {
		return nil, err
	}
	return col.oneWindow(ctx)
}

// shake moves the mouse back and forth strokes times across width pixels
// around (x, y), a stroke every 200 ms: the 2.5 Hz shake of someone
// impatient, far above the thrashing thresholds' speed and distance.
func shake(x, y, width float64, strokes int) chromedp.Action[chromedp.Void] {
	const steps = 8
	var moves []chromedp.Action[chromedp.Void]
	for i := 0; i < strokes; i++ {
		from, to := x-width/2, x+width/2
		if i%2 == 1 {
			from, to = to, from
		}
		for j := 1; j <= steps; j++ {
			moves = append(moves,
				chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, from+(to-from)*float64(j)/steps, y),
				chromedp.Sleep(25*time.Millisecond))
		}
	}
	return chromedp.Steps(moves...)
}

// recordStruggle walks through the struggle fixture with Playhead's
// recorder, doing what the other detectors look for, each once: the
// cursor shaken (thrashing), the long page scrolled up and down in search
// of something (excessive scrolling), a request that fails and one that
// takes 3.5 s, a form typed into and left for another page unsent (form
// abandonment), that page's largest image coming after 4.5 s (a slow
// LCP), a form there sent 4 s after its first keystroke (a slow form for
// a 3 s threshold) and 31 s without input (long inactivity). A calm mouse
// move and a calm scroll come first, which must not count.
func recordStruggle(ctx context.Context, base string, col *collector) ([]recordings.Window, error) {
	col.reset()
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	scroll := func(y int) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.scrollTo(0, %d)`, y)), pause(400*time.Millisecond))
	}
	ready := void(chromedp.Poll[bool](`!!(window.playhead && window.playhead.sessionId)`))
	err := chromedp.Do(tab,
		chromedp.Navigate(base+"/site/struggle.html"),
		ready,
		wander(100, 100, 500, 300),
		scroll(600),
		pause(1500*time.Millisecond),
		shake(640, 450, 300, 12),
		pause(1500*time.Millisecond),
		scroll(4000), scroll(0), scroll(4000), scroll(0), scroll(4000), scroll(0),
		pause(1500*time.Millisecond),
		chromedp.Click(chromedp.ID("prices")),
		void(chromedp.Poll[bool](`document.getElementById("result").textContent !== ""`)),
		chromedp.Click(chromedp.ID("stock")),
		void(chromedp.Poll[bool](`document.getElementById("result").textContent === "In stock"`)),
		chromedp.SendKeys(chromedp.ID("city"), "Lyon"),
		chromedp.SendKeys(chromedp.ID("zip"), "69002"),
		// Longer than a page change that follows Enter.
		pause(3*time.Second),
		chromedp.Click(chromedp.ID("to-b")),
		chromedp.WaitVisible(chromedp.ID("hours")),
		ready,
		void(chromedp.Poll[bool](`document.getElementById("hero").complete`)),
		pause(300*time.Millisecond),
		// The first input after the load: the recorder reports LCP then.
		chromedp.Click(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		// Sent 4 s after the first keystroke: slow for a project whose
		// slow-form threshold is 3 s.
		pause(4*time.Second),
		chromedp.Click(chromedp.ID("subscribe")),
		chromedp.WaitVisible(chromedp.ID("thanks")),
		// Long inactivity: nothing for 31 s.
		pause(31*time.Second),
		chromedp.Click(chromedp.ID("hours")),
		pause(500*time.Millisecond),
		chromedp.Evaluate[chromedp.Void](`window.playhead.flush()`, chromedp.EvalAwaitPromise),
	)
	if err != nil {
		return nil, err
	}
	return col.oneWindow(ctx)
}

// hero is the struggle fixture's late image: many coloured circles, for
// Chromium leaves images of little content (bytes per pixel) out of LCP.
func hero() []byte {
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">`)
	x := uint32(1)
	next := func(n uint32) uint32 { x = x*1664525 + 1013904223; return x >> 8 % n }
	for range 600 {
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="#%06x"/>`, next(640), next(360), 4+next(30), next(1<<24))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}
