package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// site serves the pages of testdata on a loopback port of its own, so that
// the recorder is cross-origin to the page as on real sites.
func site(t *testing.T, playhead, key string) string {
	t.Helper()
	pages := template.Must(template.ParseGlob("testdata/*.html"))
	snippet := template.HTML(fmt.Sprintf(`<script src="%s/playhead.js" data-key="%s" defer></script>`, playhead, key))
	mux := http.NewServeMux()
	// Noise: browsers leave images of few bits per pixel out of LCP.
	img := image.NewGray(image.Rect(0, 0, 600, 300))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var slow bytes.Buffer
	png.Encode(&slow, img)
	mux.HandleFunc("GET /slow.png", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(700 * time.Millisecond)
		w.Header().Set("Content-Type", "image/png")
		w.Write(slow.Bytes())
	})
	mux.HandleFunc("GET /status/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /{page}", func(w http.ResponseWriter, r *http.Request) {
		if err := pages.ExecuteTemplate(w, r.PathValue("page"), map[string]any{"Snippet": snippet}); err != nil {
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// custom is one playhead/* event as stored.
type custom struct {
	Type      int   `json:"type"`
	Timestamp int64 `json:"timestamp"`
	Data      struct {
		Tag     string         `json:"tag"`
		Payload map[string]any `json:"payload"`
	} `json:"data"`
}

// stored returns the events the server keeps for the only session, raw
// and the playhead/* ones decoded.
func stored(t *testing.T, base string) ([]byte, []custom) {
	t.Helper()
	var s session
	waitFor(t, "the session", func() bool {
		list := sessions(t, base)
		if len(list) == 1 {
			s = list[0]
		}
		return len(list) == 1
	})
	resp, err := servertest.Get(base + "/api/v1" + s.path() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out []custom
	dec := json.NewDecoder(bytes.NewReader(raw))
	// The answer is either an array of events or an object holding one;
	// take every object with a playhead/ tag.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if d, ok := v["data"].(map[string]any); ok {
				if tag, _ := d["tag"].(string); strings.HasPrefix(tag, "playhead/") {
					b, _ := json.Marshal(v)
					var c custom
					json.Unmarshal(b, &c)
					out = append(out, c)
					return
				}
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	var all any
	if err := dec.Decode(&all); err != nil {
		t.Fatalf("events: %v: %.200s", err, raw)
	}
	walk(all)
	return raw, out
}

func find(events []custom, tag string, match func(p map[string]any) bool) *custom {
	for i := range events {
		if events[i].Data.Tag == "playhead/"+tag && (match == nil || match(events[i].Data.Payload)) {
			return &events[i]
		}
	}
	return nil
}

func TestCapture(t *testing.T) {
	base, _ := servertest.Start(t)
	// The demo project's key is the one in the demo's snippet.
	ctx := browser(t)
	do(t, ctx, "open the demo for its key", chromedp.Navigate(base+"/demo/index.html"))
	key := eval[string](t, ctx, `document.querySelector('script[data-key]').dataset.key`)
	eval[chromedp.Void](t, ctx, `window.playhead.consent(false)`)
	origin := site(t, base, key)

	do(t, ctx, "open the page",
		chromedp.Navigate(origin+"/capture.html?token=url-S3CRET&utm_source=e2e#frag"),
		chromedp.WaitVisible(chromedp.ID("shown")),
	)
	waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
	// The first input ends LCP: wait for the slow image first.
	eval[chromedp.Void](t, ctx, `new Promise(r => new PerformanceObserver(l => {
		if (l.getEntries().some(e => e.element && e.element.id === 'slow')) r();
	}).observe({type: 'largest-contentful-paint', buffered: true}))`)
	do(t, ctx, "type into the form",
		chromedp.SendKeys(chromedp.ID("text"), "typed-S3CRET"),
		chromedp.SendKeys(chromedp.ID("password"), "password-S3CRET"),
		chromedp.SendKeys(chromedp.ID("card"), "4242424242424242"),
		chromedp.SendKeys(chromedp.ID("cvc"), "S3CRET"),
		chromedp.Click(chromedp.ID("editor")),
		chromedp.SendKeys(chromedp.ID("editor"), "edited-S3CRET"),
	)
	eval[chromedp.Void](t, ctx, `(async () => {
		history.pushState({}, '', '/capture.html?step=2&token=push-S3CRET');
		document.title = 'Step two';
		setTimeout(() => { throw new Error('uncaught for the test') }, 0);
		console.error('console error for the test', new Error('with a stack'));
		await fetch('http://127.0.0.1:9/nothing-here').catch(() => {});
		await new Promise(r => { const x = new XMLHttpRequest(); x.open('GET', '/status/500'); x.onloadend = r; x.send(); });
		// 10,000 nodes at once.
		const big = document.getElementById('big');
		const frag = document.createDocumentFragment();
		for (let i = 0; i < 10000; i++) { const li = document.createElement('li'); li.textContent = 'node ' + i; frag.appendChild(li); }
		big.appendChild(frag);
		// Blocked and masked elements change: their text, and nodes added
		// deep inside them.
		for (const el of document.querySelectorAll('.private')) {
			el.firstChild.textContent = 'changed-S3CRET';
			const p = document.createElement('p');
			p.innerHTML = '<b>added <i>S3CRET</i></b>';
			el.lastElementChild ? el.lastElementChild.appendChild(p) : el.appendChild(p);
		}
		await new Promise(r => setTimeout(r, 1200));
	})()`)
	// flush rejects if a batch was refused or dropped.
	eval[chromedp.Void](t, ctx, `window.playhead.flush()`)
	url := eval[string](t, ctx, `window.playhead.sessionURL() || ''`)
	// Hiding the page reports the vitals.
	do(t, ctx, "leave the page", chromedp.Navigate("about:blank"))

	// CLS is reported as the page goes; its last batch leaves with it.
	var raw []byte
	var events []custom
	waitFor(t, "the events of the page's last moment", func() bool {
		raw, events = stored(t, base)
		return find(events, "vital", func(p map[string]any) bool { return p["name"] == "CLS" }) != nil
	})
	s := sessions(t, base)[0]
	if want := base + s.path(); url != want {
		t.Errorf("sessionURL() = %q, want %q", url, want)
	}
	for _, secret := range []string{"S3CRET", "4242424242424242", "4111 1111 1111 1111", "#frag"} {
		if bytes.Contains(raw, []byte(secret)) {
			i := bytes.Index(raw, []byte(secret))
			t.Errorf("the stored events contain %q: …%s…", secret, raw[max(0, i-120):min(len(raw), i+60)])
		}
	}
	// "changed-S3CRET" in a masked element, as rrweb masks it.
	if !bytes.Contains(raw, []byte(`"**************"`)) {
		t.Error("the masked elements' changed text is not in the stored events")
	}
	if !bytes.Contains(raw, []byte("node 9999")) {
		t.Error("the 10,000-node rewrite is not in the stored events")
	}

	load := find(events, "page", func(p map[string]any) bool { return p["nav"] == "load" })
	if load == nil || load.Data.Payload["url"] != origin+"/capture.html?utm_source=e2e" || load.Data.Payload["title"] != "Capture page" {
		t.Errorf("page view of the load = %+v", load)
	}
	push := find(events, "page", func(p map[string]any) bool { return p["nav"] == "push" })
	if push == nil || push.Data.Payload["url"] != origin+"/capture.html" || push.Data.Payload["referrer"] != origin+"/capture.html?utm_source=e2e" || push.Data.Payload["title"] != "Step two" {
		t.Errorf("page view of the SPA navigation = %+v", push)
	}
	if e := find(events, "error", func(p map[string]any) bool { return p["kind"] == "error" }); e == nil ||
		!strings.Contains(fmt.Sprint(e.Data.Payload["message"]), "uncaught for the test") || e.Data.Payload["line"] == nil {
		t.Errorf("uncaught error = %+v", e)
	}
	if e := find(events, "error", func(p map[string]any) bool { return p["kind"] == "console.error" }); e == nil ||
		!strings.Contains(fmt.Sprint(e.Data.Payload["message"]), "console error for the test") || e.Data.Payload["stack"] == nil {
		t.Errorf("console.error = %+v", e)
	}
	if r := find(events, "request", func(p map[string]any) bool { return p["initiator"] == "fetch" }); r == nil ||
		r.Data.Payload["status"] != 0.0 || r.Data.Payload["failure"] == nil || r.Data.Payload["url"] != "http://127.0.0.1:9/nothing-here" {
		t.Errorf("failed fetch = %+v", r)
	}
	if r := find(events, "request", func(p map[string]any) bool { return p["initiator"] == "xhr" }); r == nil ||
		r.Data.Payload["status"] != 500.0 || r.Data.Payload["failure"] != "http" || r.Data.Payload["method"] != "GET" {
		t.Errorf("XHR 500 = %+v", r)
	}
	if r := find(events, "request", func(p map[string]any) bool { return p["initiator"] == "resource" }); r == nil ||
		r.Data.Payload["url"] != origin+"/missing.png" {
		t.Errorf("failed image = %+v", r)
	}
	if find(events, "request", func(p map[string]any) bool { return strings.Contains(fmt.Sprint(p["url"]), "/api/v1/ingest") }) != nil {
		t.Error("the recorder recorded its own requests")
	}
	// The slow image is the largest paint, 700 ms after the start at least.
	if v := find(events, "vital", func(p map[string]any) bool { return p["name"] == "LCP" }); v == nil || v.Data.Payload["value"].(float64) < 700 {
		t.Errorf("LCP = %+v", v)
	}
	for _, name := range []string{"FCP", "TTFB", "CLS"} {
		if find(events, "vital", func(p map[string]any) bool { return p["name"] == name }) == nil {
			t.Errorf("no %s", name)
		}
	}
	if d := find(events, "device", nil); d == nil || d.Data.Payload["timezone"] == "" || d.Data.Payload["touch"] != false {
		t.Errorf("device = %+v", d)
	}
}

func TestCaptureMobile(t *testing.T) {
	base, _ := servertest.Start(t)
	ctx := browser(t)
	do(t, ctx, "open the demo for its key", chromedp.Navigate(base+"/demo/index.html"))
	key := eval[string](t, ctx, `document.querySelector('script[data-key]').dataset.key`)
	eval[chromedp.Void](t, ctx, `window.playhead.consent(false)`)
	origin := site(t, base, key)

	do(t, ctx, "open the page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
		chromedp.Navigate(origin+"/capture.html"),
		chromedp.WaitVisible(chromedp.ID("shown")),
	)
	waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
	do(t, ctx, "turn the phone",
		chromedp.EmulateViewport(844, 390, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateLandscape),
	)
	waitFor(t, "landscape", func() bool { return eval[bool](t, ctx, `matchMedia('(orientation: landscape)').matches`) })
	eval[chromedp.Void](t, ctx, `new Promise(r => setTimeout(r, 100)).then(() => window.playhead.flush())`)

	_, events := stored(t, base)
	var got []string
	for _, e := range events {
		if e.Data.Tag != "playhead/device" {
			continue
		}
		p := e.Data.Payload
		vp := p["viewport"].(map[string]any)
		got = append(got, fmt.Sprintf("%v %v %vx%v dpr %v", p["orientation"], p["touch"], vp["w"], vp["h"], p["dpr"]))
	}
	want := []string{"portrait true 390x844 dpr 3", "landscape true 844x390 dpr 3"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("device events %q, want %q", got, want)
	}
}
