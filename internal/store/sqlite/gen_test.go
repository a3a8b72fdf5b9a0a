package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// A generated index: random but seeded sessions, folded in through
// ApplySessionUpdates as the processor would, and kept beside it as a
// model that search results are checked against.

// genBase is when generated sessions begin; they spread over genDays.
var genBase = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

const genDays = 60

var (
	genBrowsers = []string{"Chrome 120", "Chrome 121", "Firefox 119", "Safari 17", "Edge 120"}
	genOS       = []string{"Linux", "Windows", "macOS", "iOS", "Android"}
	genDevices  = []string{"desktop", "desktop", "desktop", "mobile", "tablet"}
	genTitles   = []string{"Home", "Products", "Cart", "Checkout", "Thank you", "Search", "Account", "Blog"}
	genTexts    = []string{"Add to cart", "Buy now", "Sign in", "Apply coupon", "Next", "Subscribe",
		"TypeError: cannot read properties of undefined", "NetworkError when attempting to fetch",
		"Quantity", "Continue shopping", "Zebra promo"}
	genEvents = []string{"add_to_cart", "signup", "purchase", "newsletter"}
	genPlans  = []string{"free", "pro", "team"}
	genKinds  = []string{store.SignalRageClick, store.SignalDeadClick, store.SignalErrorClick, store.SignalJSError,
		store.SignalFailedRequest, store.SignalSlowRequest, store.SignalSlowPage, store.SignalThrashingCursor,
		store.SignalExcessiveScroll, store.SignalQuickBack, store.SignalFormAbandon, store.SignalSlowForm}
	// genGoals are the projects' goals, added before the index is built.
	genGoals = []store.Goal{
		{Project: 1, Name: "checkout", URL: "*/checkout/done"},
		{Project: 1, Name: "signup", Event: "signup"},
		{Project: 2, Name: "checkout", URL: "*/thanks*", Intent: "*/cart*"},
	}
)

func genURL(r *rand.Rand, project int64) string {
	host := fmt.Sprintf("https://shop%d.example", project)
	switch r.IntN(10) {
	case 0:
		return host + "/"
	case 1, 2, 3:
		return fmt.Sprintf("%s/products/%d", host, r.IntN(60))
	case 4:
		return host + "/cart"
	case 5:
		return host + "/checkout/"
	case 6:
		if project == 2 {
			return host + "/thanks?order=" + fmt.Sprint(r.IntN(1000))
		}
		return host + "/checkout/done"
	case 7:
		return fmt.Sprintf("%s/search?q=%s_%d", host, genTexts[r.IntN(len(genTexts))][:3], r.IntN(5))
	case 8:
		return host + "/account"
	}
	return fmt.Sprintf("%s/blog/post-%d", host, r.IntN(30))
}

// genSession is one generated session as the index should know it.
type genSession struct {
	n                    int64 // its number in the index: order of first update
	project              int64
	id                   string
	offset               int64
	browser, os, device  string
	start, end           int64 // dated
	windows              []*genWindow
	pageViews            []store.PageView // dated
	entry, exit          string
	active               int64
	clicks, errs, failed int
	user                 string
	traits               map[string]string
	events               map[string]int64 // name → first time, dated
	counts               map[string]int
	score                store.Score
	rarePath             bool // as the index last scored it
	words                []string
	vw, vh               int
}

type genWindow struct {
	id          string
	first, last int64 // recording's time
	split       int   // pages in the first update
	pages       []store.PageVisit
	partial     *store.WindowAnalysis // applied with the first update
	final       *store.WindowAnalysis // applied with the second, when not nil
	second      bool                  // the window comes in two updates
	events      int
}

// genSessions makes n sessions from seed, and the updates that build them:
// every window's first update, shuffled, then its second ones, shuffled.
func genSessions(seed uint64, n int) ([]*genSession, [][]store.SessionUpdate) {
	return genSessionsFrom(seed, 0, n, 1)
}

// genSessionsFrom makes sessions numbered from first on, into an index
// whose next session number is next.
func genSessionsFrom(seed uint64, first, n int, next int64) ([]*genSession, [][]store.SessionUpdate) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sessions := make([]*genSession, n)
	var firsts, second []store.SessionUpdate
	for i := range sessions {
		s := &genSession{id: fmt.Sprintf("s%07d", first+i), browser: genBrowsers[r.IntN(len(genBrowsers))],
			os: genOS[r.IntN(len(genOS))], device: genDevices[r.IntN(len(genDevices))]}
		switch p := r.IntN(10); {
		case p < 6:
			s.project = 1
		case p < 9:
			s.project = 2
		default:
			s.project = 3
		}
		if r.IntN(100) == 0 {
			s.offset = -int64(time.Hour / time.Millisecond)
		}
		at := genBase.UnixMilli() + r.Int64N(genDays*24*3600*1000)
		nw := 1
		if x := r.IntN(100); x >= 97 {
			nw = 3
		} else if x >= 85 {
			nw = 2
		}
		for w := range nw {
			gw := &genWindow{id: fmt.Sprintf("w%d", w), first: at}
			np := 1 + r.IntN(4)
			if r.IntN(4) == 0 {
				np = 1
			}
			t := at
			for range np {
				d := int64(500 + r.IntN(90_000))
				if r.IntN(3) == 0 {
					d = int64(200 + r.IntN(4000))
				}
				u := genURL(r, s.project)
				gw.pages = append(gw.pages, store.PageVisit{URL: u, Title: genTitles[r.IntN(len(genTitles))],
					Start: time.UnixMilli(t), Duration: time.Duration(d) * time.Millisecond})
				t += d + 1
			}
			gw.last = t
			gw.events = 1 + r.IntN(200)
			// Most windows arrive in one update; some in two, the second
			// replacing the first's analysis, or leaving it (nil).
			gw.split = np
			if r.IntN(10) < 3 {
				gw.split = 1 + r.IntN(np)
				gw.second = true
				if r.IntN(3) > 0 {
					gw.final = genAnalysis(r, s, gw, np)
				}
			}
			gw.partial = genAnalysis(r, s, gw, gw.split)
			s.windows = append(s.windows, gw)
			at = t + int64(1+r.IntN(60_000))
		}
		sessions[i] = s
		for _, gw := range s.windows {
			u := store.SessionUpdate{Project: s.project, Session: s.id, Window: gw.id,
				First: time.UnixMilli(gw.first), ClockOffset: time.Duration(s.offset) * time.Millisecond,
				Events: gw.events / 2, UserAgent: "Mozilla/5.0", Browser: s.browser, OS: s.os, Device: s.device,
				Analysis: gw.partial}
			u.Last = gw.pages[gw.split-1].Start
			u.PageViews = pageViewsOf(gw.id, gw.pages[:gw.split])
			firsts = append(firsts, u)
			if !gw.second {
				u.Last = time.UnixMilli(gw.last)
				firsts[len(firsts)-1] = u
				continue
			}
			u2 := store.SessionUpdate{Project: s.project, Session: s.id, Window: gw.id,
				First: gw.pages[gw.split-1].Start, Last: time.UnixMilli(gw.last), Events: gw.events - gw.events/2,
				PageViews: pageViewsOf(gw.id, gw.pages[gw.split:]), Analysis: gw.final,
				ClockOffset: time.Duration(s.offset) * time.Millisecond}
			second = append(second, u2)
		}
	}
	r.Shuffle(len(firsts), func(i, j int) { firsts[i], firsts[j] = firsts[j], firsts[i] })
	r.Shuffle(len(second), func(i, j int) { second[i], second[j] = second[j], second[i] })
	all := append(firsts, second...)
	byKey := map[string]*genSession{}
	for _, s := range sessions {
		byKey[fmt.Sprint(s.project, "/", s.id)] = s
	}
	var steps [][]store.SessionUpdate
	for len(all) > 0 {
		k := min(len(all), 400)
		steps = append(steps, all[:k])
		for _, u := range all[:k] {
			if s := byKey[fmt.Sprint(u.Project, "/", u.Session)]; s.n == 0 {
				s.n = next
				next++
			}
		}
		all = all[k:]
	}
	modelPaths(sessions, steps)
	for _, s := range sessions {
		s.model()
	}
	return sessions, steps
}

// modelPaths replays the order in which the index scores sessions — step
// by step, each session once a step, in the order of its first update
// there — to tell whether each session's path was rare when it was last
// scored.
func modelPaths(sessions []*genSession, steps [][]store.SessionUpdate) {
	byKey := map[string]*genSession{}
	for _, s := range sessions {
		byKey[fmt.Sprint(s.project, "/", s.id)] = s
	}
	type view struct {
		ts          int64
		window, url string
	}
	views := map[*genSession][]view{}
	took := map[int64]map[string]int{} // project → path → sessions
	total := map[int64]int{}
	path := map[*genSession]string{}
	for _, step := range steps {
		var order []*genSession
		seen := map[*genSession]bool{}
		for _, u := range step {
			s := byKey[fmt.Sprint(u.Project, "/", u.Session)]
			for _, p := range u.PageViews {
				views[s] = append(views[s], view{p.Start.UnixMilli(), p.Window, p.URL})
			}
			if (u.Analysis != nil || len(u.PageViews) > 0) && !seen[s] {
				order = append(order, s)
				seen[s] = true
			}
		}
		for _, s := range order {
			vs := views[s]
			slices.SortStableFunc(vs, func(a, b view) int {
				return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.window, b.window))
			})
			var urls []string
			for _, v := range vs {
				urls = append(urls, v.url)
			}
			key, was := store.PathKey(urls), path[s]
			if took[s.project] == nil {
				took[s.project] = map[string]int{}
			}
			if key != was {
				if was == "" {
					total[s.project]++
				} else {
					took[s.project][was]--
				}
				if key == "" {
					total[s.project]--
				} else {
					took[s.project][key]++
				}
				path[s] = key
			}
			s.rarePath = key != "" && store.IsRarePath(took[s.project][key], total[s.project])
		}
	}
}

func pageViewsOf(window string, pages []store.PageVisit) []store.PageView {
	var out []store.PageView
	for _, p := range pages {
		out = append(out, store.PageView{Window: window, URL: p.URL, Start: p.Start, Width: 1280, Height: 720})
	}
	return out
}

// genAnalysis is a window's analysis as of its first k pages.
func genAnalysis(r *rand.Rand, s *genSession, gw *genWindow, k int) *store.WindowAnalysis {
	pages := gw.pages[:k]
	last := pages[k-1]
	a := &store.WindowAnalysis{
		ActiveMS: r.Int64N(60_000), Clicks: r.IntN(30), ExitURL: last.URL, ExitAt: last.Start,
		Pages: append([]store.PageVisit(nil), pages...),
	}
	if r.IntN(5) == 0 {
		a.Errors = 1 + r.IntN(3)
	}
	if r.IntN(6) == 0 {
		a.FailedRequests = 1 + r.IntN(2)
	}
	if r.IntN(2) == 0 {
		a.ViewportWidth, a.ViewportHeight = []int{390, 1280, 1920}[r.IntN(3)], 800
	}
	if r.IntN(5) == 0 {
		a.UserID = fmt.Sprintf("u%d", r.IntN(500))
	}
	if r.IntN(4) == 0 {
		a.Traits = map[string]string{"plan": genPlans[r.IntN(len(genPlans))]}
		if r.IntN(2) == 0 {
			a.Traits["country"] = []string{"de", "fr", "us"}[r.IntN(3)]
		}
	}
	for _, e := range genEvents {
		if r.IntN(8) == 0 {
			a.CustomEvents = append(a.CustomEvents, store.CustomEvent{Name: e, Time: pages[r.IntN(k)].Start})
		}
	}
	for range r.IntN(3) {
		a.Text = append(a.Text, genTexts[r.IntN(len(genTexts))])
	}
	if r.IntN(2000) == 0 {
		a.Text = append(a.Text, "Quokka overflow")
	}
	for _, kind := range genKinds {
		if r.IntN(12) == 0 {
			for range 1 + r.IntN(3) {
				p := pages[r.IntN(k)]
				a.Signals = append(a.Signals, store.Signal{Kind: kind, Window: gw.id, Time: p.Start, URL: p.URL,
					Selector: "button.buy", Text: "Buy", Count: 1 + r.IntN(5), Value: float64(r.IntN(5000)), Detail: "GET /api"})
			}
		}
	}
	return a
}

// model works out what the index should say of the session.
func (s *genSession) model() {
	s.start, s.end = 1<<62, -1<<62
	s.traits, s.events, s.counts = map[string]string{}, map[string]int64{}, map[string]int{}
	type final struct {
		a    *store.WindowAnalysis
		last int64
		id   string
	}
	var finals []final
	words := map[string]bool{}
	for _, w := range s.windows {
		s.start = min(s.start, w.first+s.offset)
		s.end = max(s.end, w.last+s.offset)
		s.pageViews = append(s.pageViews, pageViewsOf(w.id, w.pages)...)
		a, last := w.final, w.last
		if a == nil {
			a = w.partial
			if w.second {
				last = w.pages[w.split-1].Start.UnixMilli()
			}
		}
		finals = append(finals, final{a, last + s.offset, w.id})
	}
	sort.Slice(s.pageViews, func(i, j int) bool { return s.pageViews[i].Start.Before(s.pageViews[j].Start) })
	s.entry = s.pageViews[0].URL
	sort.Slice(finals, func(i, j int) bool {
		if finals[i].last != finals[j].last {
			return finals[i].last < finals[j].last
		}
		return finals[i].id < finals[j].id
	})
	exitAt := int64(-1 << 62)
	for _, f := range finals {
		a := f.a
		s.active += a.ActiveMS
		s.clicks += a.Clicks
		s.errs += a.Errors
		s.failed += a.FailedRequests
		if t := a.ExitAt.UnixMilli() + s.offset; t >= exitAt {
			s.exit, exitAt = a.ExitURL, t
		}
		if a.UserID != "" {
			s.user = a.UserID
		}
		if a.ViewportWidth > 0 {
			s.vw, s.vh = a.ViewportWidth, a.ViewportHeight
		}
		for k, v := range a.Traits {
			s.traits[k] = v
		}
		for _, e := range a.CustomEvents {
			t := e.Time.UnixMilli() + s.offset
			if old, ok := s.events[e.Name]; !ok || t < old {
				s.events[e.Name] = t
			}
		}
		for _, g := range a.Signals {
			s.counts[g.Kind]++
		}
		for _, p := range a.Pages {
			for _, w := range store.Words(strings.ToLower(p.URL + " " + p.Title)) {
				words[w] = true
			}
		}
		for _, t := range a.Text {
			for _, w := range store.Words(strings.ToLower(t)) {
				words[w] = true
			}
		}
	}
	for w := range words {
		s.words = append(s.words, w)
	}
	var goals []store.Goal
	for _, g := range genGoals {
		if g.Project == s.project {
			goals = append(goals, g)
		}
	}
	s.score = store.ComputeScore(store.ScoreInput{Signals: s.counts, Errors: s.errs, FailedRequests: s.failed,
		MissedGoals: store.MissedGoals(goals, s.urls(), s.eventNames()), RarePath: s.rarePath})
}

func (s *genSession) urls() []string {
	var out []string
	for _, p := range s.pageViews {
		out = append(out, p.URL)
	}
	return out
}

func (s *genSession) eventNames() []string {
	var out []string
	for e := range s.events {
		out = append(out, e)
	}
	return out
}

// buildIndex opens a store in dir with the generated projects and goals
// and folds the steps in.
func buildIndex(tb testing.TB, dir string, steps [][]store.SessionUpdate) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for i := range 3 {
		p, err := s.CreateProject(ctx, fmt.Sprintf("shop %d", i+1), nil)
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, p.Key)
	}
	for _, g := range genGoals {
		if _, err := s.AddGoal(ctx, keys[g.Project-1], g); err != nil {
			tb.Fatal(err)
		}
	}
	for i, step := range steps {
		if err := s.ApplySessionUpdates(ctx, "sessions", int64(i+1), step); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}
