package e2e

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/server/servertest"
)

// TestFirstRunOwnerAndInvitedMember goes through a first start as a
// person does: the setup link, the owner's first login, an invitation
// that a member accepts in another browser, and the member seeing only
// the project they were invited to.
func TestFirstRunOwnerAndInvitedMember(t *testing.T) {
	base, data := servertest.StartEmpty(t)
	mine := servertest.Project(t, data)
	other := servertest.Project(t, data)
	importSession(t, base, mine.Key, mine.ID, "mine")
	importSession(t, base, other.Key, other.ID, "other")

	ownerCtx := browser(t)
	// Without the setup token, no setup.
	do(t, ownerCtx, "open setup without its token", chromedp.Navigate(base+"/setup"))
	if text := eval[string](t, ownerCtx, `document.body.innerText`); !strings.Contains(text, "setup link") {
		t.Fatalf("setup without its token shows %q", text)
	}
	// The setup link is in the server's log.
	m := regexp.MustCompile(`setup="?([^"\s]+/setup\?token=([^"\s]+))`).FindStringSubmatch(servertest.Log(base))
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", servertest.Log(base))
	}
	token := m[2]
	do(t, ownerCtx, "create the owner",
		chromedp.Navigate(base+"/setup?token="+token),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "boss@example.test"),
		chromedp.SendKeys(chromedp.ID("password"), "the owner's passphrase"),
		chromedp.SendKeys(chromedp.ID("password2"), "the owner's passphrase"),
		chromedp.Click(chromedp.ID("create-owner")),
		chromedp.WaitVisible(chromedp.CSS("header nav")),
	)
	// Setup closes once an owner exists.
	resp, err := http.Get(base + "/setup?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("setup after the owner: %s, want 404", resp.Status)
	}
	// The owner signs out and in again with the password chosen.
	do(t, ownerCtx, "sign out", chromedp.Navigate(base+"/account"), chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	signInAs(t, ownerCtx, base, "boss@example.test", "the owner's passphrase")
	waitFor(t, "both sessions listed for the owner", func() bool {
		do(t, ownerCtx, "reload the list", chromedp.Navigate(base+"/"))
		return eval[int](t, ownerCtx, `document.querySelectorAll('a.watch').length`) == 2
	})

	// An invitation to the first project only.
	do(t, ownerCtx, "invite a member",
		chromedp.Navigate(base+"/users"),
		chromedp.WaitVisible(chromedp.ID("invite")),
		chromedp.SendKeys(chromedp.CSS(`#invite input[name=email]`), "ann@example.test"),
		chromedp.SetValue(chromedp.CSS(`#invite select[name=role]`), "member"),
		chromedp.Click(chromedp.CSS(`#invite input[name=project][value="`+itoa(mine.ID)+`"]`)),
		chromedp.Click(chromedp.CSS(`#invite button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("created-link")),
	)
	link := eval[string](t, ownerCtx, `document.getElementById('created-link').value`)
	if !strings.HasPrefix(link, base+"/invite/phl_") {
		t.Fatalf("invitation link %q", link)
	}

	member := browser(t)
	do(t, member, "accept the invitation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "ann's own passphrase"),
		chromedp.SendKeys(chromedp.ID("password2"), "ann's own passphrase"),
		chromedp.Click(chromedp.ID("set-password")),
		chromedp.WaitVisible(chromedp.CSS("header nav")),
	)
	do(t, member, "open the list", chromedp.Navigate(base+"/"))
	hrefs := eval[[]string](t, member, `[...document.querySelectorAll('a.watch')].map(a => a.getAttribute('href'))`)
	if len(hrefs) != 1 || !strings.HasSuffix(hrefs[0], "/sessions/mine") {
		t.Errorf("the member's list links %v, want the session of their project alone", hrefs)
	}
	// The other project's session is not there for them, even by URL.
	do(t, member, "open the other project's session", chromedp.Navigate(base+"/projects/"+itoa(other.ID)+"/sessions/other"))
	if text := eval[string](t, member, `document.body.innerText`); !strings.Contains(text, "no such project") {
		t.Errorf("the other project's session page shows %q to the member", text)
	}
	// The link is used up.
	do(t, member, "open the invitation again", chromedp.Navigate(link))
	if text := eval[string](t, member, `document.body.innerText`); !strings.Contains(text, "not valid") {
		t.Errorf("a used invitation shows %q", text)
	}
}

// TestShareLinkForALoggedOutBrowser makes a share link on the session
// page, plays it in a browser that never signed in, and revokes it.
func TestShareLinkForALoggedOutBrowser(t *testing.T) {
	base, data := servertest.Start(t)
	p := servertest.Project(t, data)
	importSession(t, base, p.Key, p.ID, "shared")

	ctx := browser(t)
	signIn(t, ctx, base)
	sharesPage := base + "/projects/" + itoa(p.ID) + "/sessions/shared/shares"
	do(t, ctx, "make a share link",
		chromedp.Navigate(base+"/projects/"+itoa(p.ID)+"/sessions/shared"),
		chromedp.Click(chromedp.CSS(`.session-actions a[href$="/shares"]`)),
		chromedp.WaitVisible(chromedp.ID("share")),
		chromedp.Click(chromedp.CSS(`#share button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("created-link")),
	)
	link := eval[string](t, ctx, `document.getElementById('created-link').value`)

	stranger := browser(t)
	do(t, stranger, "open the share link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`)),
	)
	// As on the session page, the session, its chunk index and its first
	// events are asked for while the player's script loads, and nothing
	// twice.
	api := "/api/v1/share/" + link[strings.LastIndex(link, "/")+1:]
	type fetch struct{ URL, By string }
	var fetched []fetch
	for _, f := range eval[[][2]string](t, stranger, `performance.getEntriesByType('resource').map((e) => { const u = new URL(e.name); return [u.pathname + u.search, e.initiatorType] })`) {
		fetched = append(fetched, fetch{f[0], f[1]})
	}
	firstEvents := slices.IndexFunc(fetched, func(f fetch) bool { return strings.HasPrefix(f.URL, api+"/events?") })
	for _, want := range []int{slices.Index(fetched, fetch{api, "link"}), slices.Index(fetched, fetch{api + "/chunks", "link"}), firstEvents} {
		if want < 0 || fetched[want].By != "link" {
			t.Errorf("the session, its chunk index and its first events were not all fetched by the page's preload links: %q", fetched)
			break
		}
	}
	for i, f := range fetched {
		if slices.ContainsFunc(fetched[:i], func(g fetch) bool { return g.URL == f.URL }) {
			t.Errorf("%s was fetched twice", f.URL)
		}
	}
	eval[chromedp.Void](t, stranger, `window.playheadPlayer.seek(1e9)`)
	waitFor(t, "the shared replay's end", func() bool {
		return eval[bool](t, stranger, `(() => { const f = document.querySelector('`+shownReplay+`'); const d = f && f.contentDocument; return !!d && !!d.body && d.body.textContent.includes('Fixture complete') })()`)
	})
	// The panes list what happened up to the moment shown, the second
	// tab's last clicks too, a frame after the replay shows it.
	waitFor(t, "the events pane at the shared replay's end", func() bool {
		return eval[bool](t, stranger, `(() => { const r = document.querySelector('.ph-list-events .ph-item.is-current'); return !!r && r.textContent.includes('Next step') })()`)
	})
	screenshot(t, stranger, "shared-replay.png")
	if n := eval[int](t, stranger, `document.querySelectorAll('header nav, a[href="/"]').length`); n != 0 {
		t.Errorf("the shared page links to the dashboard (%d links)", n)
	}
	// The stranger reads nothing else.
	do(t, stranger, "open the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("sign-in")))

	do(t, ctx, "revoke it", chromedp.Navigate(sharesPage), chromedp.Click(chromedp.CSS(`button.revoke`)))
	waitFor(t, "the link shown revoked", func() bool {
		return eval[bool](t, ctx, `!!document.body && document.body.innerText.includes('revoked') && !document.querySelector('button.revoke')`)
	})
	do(t, stranger, "open the revoked link", chromedp.Navigate(link))
	if text := eval[string](t, stranger, `document.body.innerText`); !strings.Contains(text, "does not play") {
		t.Errorf("a revoked share link shows %q", text)
	}
}

// TestBrowserRefusesCrossSiteForms posts a form to Playhead from a page of
// another origin, as a malicious site would, with the owner signed in.
func TestBrowserRefusesCrossSiteForms(t *testing.T) {
	base, _ := servertest.Start(t)
	other, _ := servertest.Start(t) // another origin: another port
	ctx := browser(t)
	signIn(t, ctx, base)
	// The other origin's demo page hosts the attack form.
	do(t, ctx, "open a page of another site", chromedp.Navigate(other+"/demo/"))
	eval[chromedp.Void](t, ctx, `(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '`+base+`/tokens';
		for (const [k, v] of [['name', 'stolen'], ['scope', 'admin'], ['csrf', 'guess']]) { const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i) }
		document.body.appendChild(f); f.submit() })()`)
	waitFor(t, "the refusal", func() bool {
		// Asked while the form's navigation is under way, the page may
		// not answer: not there yet.
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		return err == nil && strings.Contains(href, "/tokens")
	})
	time.Sleep(200 * time.Millisecond)
	if text := eval[string](t, ctx, `document.body ? document.body.innerText : ''`); !strings.Contains(text, "Forbidden") {
		t.Errorf("the cross-site form was answered %q", text)
	}
	do(t, ctx, "list the tokens", chromedp.Navigate(base+"/tokens"))
	if text := eval[string](t, ctx, `document.body.innerText`); strings.Contains(text, "stolen") {
		t.Error("a cross-site form created a token")
	}
}

// TestBrowserHostCheck opens the dashboard under a name the server is not
// (as a DNS rebinding attack does): refused.
func TestBrowserHostCheck(t *testing.T) {
	base, _ := servertest.Start(t)
	ctx := browser(t)
	port := base[strings.LastIndexByte(base, ':')+1:]
	// Chromium resolves *.localhost to loopback.
	do(t, ctx, "open under another name", chromedp.Navigate("http://rebound.localhost:"+port+"/login"))
	if text := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(text, "answers only as") {
		t.Errorf("under another host name the server answered %q", text)
	}
}

// importSession posts the two-window fixture as one session and waits
// until it is indexed.
func importSession(t *testing.T, base, key string, project int64, session string) {
	t.Helper()
	rec := recent(t, recordings.TwoWindows)
	for _, w := range rec.Windows {
		ingest(t, base, key, session, w.ID, 0, w.Events)
	}
	if servertest.Token(base) == "" {
		return // no token to read the API with: the caller waits
	}
	waitFor(t, "the session "+session+" indexed", func() bool {
		resp, err := servertest.Get(base + "/api/v1/projects/" + itoa(project) + "/sessions/" + session)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
