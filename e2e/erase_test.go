package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server/servertest"
)

// TestDeleteSessionFromItsPage has the owner delete a session from its
// player page, confirming first: it is gone from the list and its page,
// and the other session stays.
func TestDeleteSessionFromItsPage(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	importSession(t, base, p.Key, p.ID, "unwanted")
	importSession(t, base, p.Key, p.ID, "wanted")

	ctx := browser(t)
	signIn(t, ctx, base)
	page := base + "/projects/" + itoa(p.ID) + "/sessions/unwanted"
	do(t, ctx, "delete the session",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`details.erase summary`)),
		chromedp.Click(chromedp.CSS(`details.erase summary`)),
		chromedp.WaitVisible(chromedp.ID("erase-session")),
		chromedp.Click(chromedp.ID("erase-session")),
		chromedp.WaitVisible(chromedp.CSS("a.watch")), // back on the list
	)
	waitFor(t, "the list without the deleted session", func() bool {
		do(t, ctx, "reload the list", chromedp.Navigate(base+"/"))
		return eval[bool](t, ctx, `(() => { const hrefs = [...document.querySelectorAll('a.watch')].map(a => a.getAttribute('href'));
			return hrefs.length === 1 && hrefs[0].endsWith('/sessions/wanted') })()`)
	})
	resp, err := servertest.Get(base + "/api/v1/projects/" + itoa(p.ID) + "/sessions/unwanted")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted session in the API: %s, want 404", resp.Status)
	}
}
