package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// A session downloaded with the session page's Export link, then imported
// through the API, is a new session with the same events in every window,
// and it replays to the same end.
func TestExportThenImport(t *testing.T) {
	base, data := servertest.Start(t)
	key := servertest.CreateProject(t, data)
	ingestTwoWindows(t, base, key, "exported")
	var original session
	waitFor(t, "the session", func() bool {
		list := sessions(t, base)
		if len(list) == 1 {
			original = list[0]
		}
		return len(list) == 1 && len(original.Windows) == 2
	})

	ctx := browser(t)
	signIn(t, ctx, base)
	dir := t.TempDir()
	_, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, t, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
	})
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "export from the session page",
		chromedp.Navigate(base+original.path()+"?live=0"),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
		chromedp.Click(chromedp.CSS(`.session-actions a[download]`)),
	)
	file := filepath.Join(dir, "playhead-session-exported.json")
	var exported []byte
	waitFor(t, "the downloaded file", func() bool {
		exported, err = os.ReadFile(file)
		return err == nil && len(exported) > 0 && json.Valid(exported)
	})

	req, _ := http.NewRequest("POST", base+"/api/v1/projects/"+itoa(original.Project)+"/import", bytes.NewReader(exported))
	req.Header.Set("Content-Type", "application/json")
	resp, err := servertest.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("import: %s %s", resp.Status, answer)
	}
	var imported session
	waitFor(t, "the imported session", func() bool {
		for _, s := range sessions(t, base) {
			if s.ID != original.ID && len(s.Windows) == 2 {
				imported = s
				return true
			}
		}
		return false
	})
	if !imported.Start.Equal(original.Start) {
		t.Errorf("the imported session starts at %v, the original at %v", imported.Start, original.Start)
	}
	for _, w := range original.Windows {
		got, want := windowEvents(t, base, imported, w.ID), windowEvents(t, base, original, w.ID)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("window %s: the import has %d events, the original %d, or they differ", w.ID, len(got), len(want))
		}
	}

	play(t, ctx, base, imported)
	screenshot(t, ctx, "player-reimported.png")
	if text := replayed[string](t, ctx, `doc.body ? doc.body.textContent : ''`); !strings.Contains(text, "Fixture complete") {
		t.Errorf("the replay of the import ends on %q, want the fixture's end", text)
	}
}

// windowEvents reads one window's events from the API, each as its JSON.
func windowEvents(t *testing.T, base string, s session, window string) []string {
	t.Helper()
	resp, err := servertest.Get(base + "/api/v1" + s.path() + "/events?window=" + window)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&events); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e)
	}
	return out
}
