package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/dashboard"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

type listEnv struct {
	srv        *httptest.Server
	st         *sqlite.Store
	shop, blog store.Project
	demo       store.Project
	client     *http.Client
	publicURL  string
}

// newListEnv serves the dashboard over a real store, signed in as an
// owner, with sessions in two projects on two hosts.
func newListEnv(t *testing.T) *listEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &listEnv{st: st, publicURL: "https://replay.example.org"}
	for _, p := range []*store.Project{&env.demo, &env.shop, &env.blog} {
		if *p, err = st.CreateProject(ctx, "p", nil); err != nil {
			t.Fatal(err)
		}
	}
	owner, err := st.CreateUser(ctx, "owner@example.test", "x", store.RoleOwner)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	at := now.Add(-time.Hour)
	sec := func(s int) time.Time { return at.Add(time.Duration(s) * time.Second) }
	updates := []store.SessionUpdate{
		{Project: env.shop.ID, Session: "angry", Window: "w", First: sec(0), Last: sec(90), Events: 10, Browser: "Chrome 120", OS: "Linux", Device: "desktop",
			PageViews: []store.PageView{{Window: "w", URL: "https://shop.example/cart", Start: sec(0)}, {Window: "w", URL: "https://shop.example/pay", Start: sec(30)}},
			Analysis: &store.WindowAnalysis{ActiveMS: 40000, UserID: "u-42", ExitURL: "https://shop.example/pay", ExitAt: sec(30),
				Signals: []store.Signal{{Kind: store.SignalRageClick, Time: sec(40), Count: 4}}}},
		{Project: env.shop.ID, Session: "calm", Window: "w", First: sec(100), Last: sec(110), Events: 3, Device: "mobile",
			PageViews: []store.PageView{{Window: "w", URL: "https://shop.example/", Start: sec(100)}}},
		{Project: env.blog.ID, Session: "now", Window: "w", First: now.Add(-time.Minute), Last: now.Add(-10 * time.Second), Events: 3, Device: "desktop",
			PageViews: []store.PageView{{Window: "w", URL: "https://blog.example/post", Start: now.Add(-time.Minute)}}},
	}
	if err := st.ApplySessionUpdates(ctx, "sessions", 1, updates); err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(st, env.publicURL+"/", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	d.DemoKey = env.demo.Key
	mux := http.NewServeMux()
	d.Register(mux)
	me := &auth.Principal{User: &owner, Login: &store.LoginSession{CSRF: "c"}}
	env.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), me)))
	}))
	t.Cleanup(env.srv.Close)
	env.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return env
}

func (env *listEnv) get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	res, err := env.client.Get(env.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

func TestListRowsAndChips(t *testing.T) {
	env := newListEnv(t)
	cases := []struct {
		name, query string
		has, hasnt  []string
	}{
		{"every session, newest first", "", []string{"3 sessions", `data-session="now"`, `<span class="live">live</span>`,
			"u-42", "anonymous", "shop.example/cart", "shop.example/pay", "blog.example/post", "Chrome 120 · Linux",
			`<span class="badge">rage click 1</span>`, `title="rage click ×1: 3"`, "All projects"}, []string{"Clear all"}},
		{"two filters make two chips, each removing itself",
			"signal=rage_click&device=desktop", []string{"1 session", `href="/?device=desktop" title="Remove this filter">Signal: <strong>rage click</strong>`,
				`href="/?signal=rage_click" title="Remove this filter">Device: <strong>desktop</strong>`}, []string{`data-session="calm"`}},
		{"one project, one host", "project=" + itoa(env.shop.ID), []string{"2 sessions", `>/cart<`, `aria-current="page">p<`},
			[]string{`data-session="now"`, ">shop.example/cart<"}},
		{"sorted by score", "sort=score", []string{"<strong>Most worth watching</strong>"}, nil},
		{"nothing matches", "user=nobody", []string{"No session matches"}, []string{"<table"}},
	}
	for _, c := range cases {
		status, _, body := env.get(t, "/?"+c.query)
		if status != 200 {
			t.Errorf("%s: status %d", c.name, status)
		}
		for _, s := range c.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: no %q", c.name, s)
			}
		}
		for _, s := range c.hasnt {
			if strings.Contains(body, s) {
				t.Errorf("%s: has %q", c.name, s)
			}
		}
	}
	// A submitted form's blank fields leave the address.
	status, loc, _ := env.get(t, "/?q=&url=&signal=rage_click&signal=&sort=")
	if status != http.StatusSeeOther || loc != "/?signal=rage_click" {
		t.Errorf("blank fields: %d to %q", status, loc)
	}
	if status, _, body := env.get(t, "/?min_duration=soon"); status != 400 || !strings.Contains(body, "min_duration: ") {
		t.Errorf("bad filter: %d", status)
	}
}

func TestListPaging(t *testing.T) {
	env := newListEnv(t)
	_, _, body := env.get(t, "/?limit=2")
	next := between(body, `<a href="`, `">Next page`)
	if next == "" || !strings.Contains(body, "3 sessions") {
		t.Fatalf("first page has no next link")
	}
	_, _, body = env.get(t, strings.ReplaceAll(next, "&amp;", "&"))
	if !strings.Contains(body, `data-session="angry"`) || strings.Contains(body, `data-session="now"`) ||
		!strings.Contains(body, "First page") || strings.Contains(body, "Next page") {
		t.Errorf("second page is wrong")
	}
}

func TestTagsAndWatched(t *testing.T) {
	env := newListEnv(t)
	ctx := context.Background()
	if _, err := env.st.Tag(ctx, env.shop.ID, "calm", "follow up"); err != nil {
		t.Fatal(err)
	}
	_, _, body := env.get(t, "/")
	if !strings.Contains(body, `<a class="tag" href="/?tag=follow&#43;up">follow up</a>`) {
		t.Errorf("the tag is not shown as a link to its filter")
	}
	_, _, body = env.get(t, "/?tag=follow+up")
	if !strings.Contains(body, `data-session="calm"`) || strings.Contains(body, `data-session="angry"`) {
		t.Errorf("tag filter")
	}
	// Opening the player marks the session watched for this user.
	if status, _, _ := env.get(t, "/projects/"+itoa(env.shop.ID)+"/sessions/calm"); status != 200 {
		t.Fatalf("session page: %d", status)
	}
	_, _, body = env.get(t, "/?watched=false")
	if strings.Contains(body, `data-session="calm"`) || !strings.Contains(body, `data-session="angry"`) || !strings.Contains(body, "Unwatched") {
		t.Errorf("unwatched lists the watched session")
	}
	_, _, body = env.get(t, "/")
	if !strings.Contains(body, `<tr class="watched" data-session="calm">`) {
		t.Errorf("the watched session is not marked")
	}
}

func TestSegmentsAndEmptyState(t *testing.T) {
	env := newListEnv(t)
	form := url.Values{"csrf": {"c"}, "name": {"Rage on desktop"}, "query": {"signal=rage_click&device=desktop&cursor=x&sort=score"}}
	res, err := env.client.PostForm(env.srv.URL+"/projects/"+itoa(env.shop.ID)+"/segments", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	_, _, body := env.get(t, res.Header.Get("Location"))
	if !strings.Contains(body, `class="segment current"`) || !strings.Contains(body, ">Rage on desktop</a>") || !strings.Contains(body, "1 session") {
		t.Errorf("the saved segment is not the list shown")
	}
	segs, _ := env.st.Segments(context.Background(), nil)
	if len(segs) != 1 || segs[0].Query != "device=desktop&signal=rage_click" {
		t.Fatalf("saved %+v; want only the filters", segs)
	}
	for _, bad := range []url.Values{{"name": {""}, "query": {"q=x"}}, {"name": {"x"}, "query": {"colour=red"}}} {
		res, err := env.client.PostForm(env.srv.URL+"/projects/"+itoa(env.shop.ID)+"/segments", bad)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("save %v: %d, want 400", bad, res.StatusCode)
		}
	}
	res, err = env.client.PostForm(env.srv.URL+"/projects/"+itoa(env.shop.ID)+"/segments/"+itoa(segs[0].ID)+"/delete", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if segs, _ := env.st.Segments(context.Background(), nil); res.StatusCode != http.StatusSeeOther || len(segs) != 0 {
		t.Errorf("delete: %d, left %+v", res.StatusCode, segs)
	}

	// The demo project has no sessions: its list teaches the install,
	// with the blog's and shop's tags, never the demo's key.
	_, _, body = env.get(t, "/?project="+itoa(env.demo.ID))
	if !strings.Contains(body, "No sessions recorded yet") || !strings.Contains(body, "Create a project for your site first") ||
		strings.Contains(body, env.demo.Key) {
		t.Errorf("the demo project's empty list")
	}
	st2, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	p, _ := st2.CreateProject(context.Background(), "mine", nil)
	d, _ := dashboard.New(st2, env.publicURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	d.Register(mux)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	mux.ServeHTTP(rec, req.WithContext(auth.WithPrincipal(req.Context(), &auth.Principal{User: &store.User{ID: 1, Role: store.RoleOwner}})))
	want := `&lt;script src=&#34;https://replay.example.org/playhead.js?key=` + p.Key + `&#34; defer&gt;&lt;/script&gt;`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the empty list's snippet is not %s:\n%s", want, between(rec.Body.String(), "<pre", "</pre>"))
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, to)
	if i < 0 {
		return ""
	}
	j := strings.LastIndex(s[:i], from)
	if j < 0 {
		return ""
	}
	return s[j+len(from) : i]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
