package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// settingsPage serves, on an origin of its own, a page whose text and
// title must never leave the browser when the project masks all text, with
// the snippet given.
func settingsPage(t *testing.T, snippet string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Title-S3CRET</title>%s</head>
<body><h1>Heading-S3CRET</h1><p>Paragraph-S3CRET with <b>bold-S3CRET</b> words.</p>
<button id="go">Button-S3CRET</button>
<script>document.getElementById('go').addEventListener('click', e => { e.target.textContent = 'Clicked-' + 'S3CRET' })</script>
</body></html>`, snippet)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/page"
}

// projectWith creates a project with the settings that set gives it.
func projectWith(t *testing.T, data string, set func(*store.Project)) store.Project {
	t.Helper()
	p := servertest.Project(t, data)
	set(&p)
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UpdateProject(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// projectSessions lists the ids of a project's sessions.
func projectSessions(t *testing.T, base string, project int64) []string {
	t.Helper()
	resp, err := servertest.Get(fmt.Sprintf("%s/api/v1/projects/%d/sessions", base, project))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Sessions []session }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range out.Sessions {
		ids = append(ids, s.ID)
	}
	return ids
}

// ingestRequests counts the page's requests to the ingest endpoint.
const ingestRequests = `performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/ingest')).length`

func TestProjectSettingsReachTheRecorder(t *testing.T) {
	base, data := servertest.Start(t)

	t.Run("mask all text", func(t *testing.T) {
		p := projectWith(t, data, func(p *store.Project) { p.Recorder.MaskAllText = true })
		// The tag tries to loosen what the project set, and may not.
		page := settingsPage(t, fmt.Sprintf(`<script src="%s/playhead.js?key=%s" data-mask-all-text="false" defer></script>`, base, p.Key))
		ctx := browser(t)
		do(t, ctx, "open the page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("go")))
		waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
		do(t, ctx, "click", chromedp.Click(chromedp.ID("go")))
		eval[chromedp.Void](t, ctx, `window.playhead.flush()`)

		var ids []string
		waitFor(t, "the session", func() bool { ids = projectSessions(t, base, p.ID); return len(ids) == 1 })
		resp, err := servertest.Get(fmt.Sprintf("%s/api/v1/projects/%d/sessions/%s/events", base, p.ID, ids[0]))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		events := string(raw)
		if !strings.Contains(events, `"type":2`) || !strings.Contains(events, `"playhead/page"`) {
			t.Fatalf("no full snapshot or page view recorded: %.300s", events)
		}
		if n := strings.Count(events, "S3CRET"); n > 0 {
			i := strings.Index(events, "S3CRET")
			t.Errorf("page text recorded %d times, first: …%s…", n, events[max(0, i-80):min(len(events), i+40)])
		}
	})

	t.Run("sample rate 0", func(t *testing.T) {
		p := projectWith(t, data, func(p *store.Project) { p.SampleRate = 0 })
		page := settingsPage(t, fmt.Sprintf(`<script src="%s/playhead.js?key=%s" data-sample-rate="1" defer></script>`, base, p.Key))
		ctx := browser(t)
		do(t, ctx, "open the page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("go")))
		waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!window.playhead`) })
		do(t, ctx, "click", chromedp.Click(chromedp.ID("go")))
		// Longer than the recorder's batching interval (2 s).
		time.Sleep(3 * time.Second)
		if id := eval[any](t, ctx, `window.playhead.sessionId`); id != nil {
			t.Errorf("a session id %v, want none: not sampled", id)
		}
		if n := eval[int](t, ctx, ingestRequests); n != 0 {
			t.Errorf("%d requests to ingest, want none", n)
		}
		do(t, ctx, "leave the page", chromedp.Navigate("about:blank"))
		if ids := projectSessions(t, base, p.ID); len(ids) != 0 {
			t.Errorf("sessions %v stored, want none", ids)
		}
	})

	t.Run("rotated key", func(t *testing.T) {
		p := projectWith(t, data, func(*store.Project) {})
		old := fmt.Sprintf(`<script src="%s/playhead.js?key=%s" defer></script>`, base, p.Key)
		page := settingsPage(t, old)
		ctx := browser(t)
		do(t, ctx, "open the page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("go")))
		waitFor(t, "the recorder", func() bool { return eval[bool](t, ctx, `!!(window.playhead && window.playhead.sessionId)`) })
		eval[chromedp.Void](t, ctx, `window.playhead.flush()`)
		waitFor(t, "the session", func() bool { return len(projectSessions(t, base, p.ID)) == 1 })

		// The owner rotates the key on the project's page.
		admin := browser(t)
		signIn(t, admin, base)
		do(t, admin, "rotate the key",
			chromedp.Navigate(fmt.Sprintf("%s/projects/%d", base, p.ID)),
			chromedp.Click(chromedp.CSS(`form[action$="/rotate"] button`)),
			chromedp.WaitVisible(chromedp.ID("confirm-rotate")),
			chromedp.Click(chromedp.CSS(`#confirm-rotate button`)),
			chromedp.WaitNotPresent(chromedp.ID("confirm-rotate")),
		)
		newKey := eval[string](t, admin, `document.getElementById('key').textContent`)
		if newKey == p.Key || !strings.HasPrefix(newKey, "ph_") {
			t.Fatalf("the key shown after rotation is %q (was %q)", newKey, p.Key)
		}

		// The page that is open keeps its old key: its next batch is
		// refused and recording stops.
		do(t, ctx, "click", chromedp.Click(chromedp.ID("go")))
		if got := eval[string](t, ctx, `window.playhead.flush().then(() => 'sent', () => 'refused')`); got != "refused" {
			t.Errorf("a batch with the old key was %s", got)
		}
		// A new visitor with the old snippet records nothing.
		fresh := browser(t)
		do(t, fresh, "open the page again", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("go")))
		time.Sleep(3 * time.Second)
		if recording := eval[bool](t, fresh, `!!window.playhead`); recording {
			t.Error("the old snippet still starts the recorder")
		}
		if n := eval[int](t, fresh, ingestRequests); n != 0 {
			t.Errorf("the old snippet sent %d requests to ingest", n)
		}
		if ids := projectSessions(t, base, p.ID); len(ids) != 1 {
			t.Errorf("sessions %v after rotation, want only the first", ids)
		}
	})
}
