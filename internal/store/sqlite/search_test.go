package sqlite

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// searchSessions (race_test.go, norace_test.go) is how many sessions the
// search tests index: 20,000, and a tenth of that under the race
// detector, which makes SQLite about 18 times slower; `make test` runs
// them once without it at full size.

var generated struct {
	once     sync.Once
	store    *Store
	sessions []*genSession
	dir      string
	err      error
}

// generatedIndex builds the test index once per test binary.
func generatedIndex(t *testing.T) (*Store, []*genSession) {
	t.Helper()
	generated.once.Do(func() {
		generated.dir, generated.err = os.MkdirTemp("", "playhead-search-")
		if generated.err != nil {
			return
		}
		var steps [][]store.SessionUpdate
		generated.sessions, steps = genSessions(7, searchSessions)
		generated.store = buildIndex(t, generated.dir, steps)
	})
	if generated.err != nil {
		t.Fatal(generated.err)
	}
	return generated.store, generated.sessions
}

func TestMain(m *testing.M) {
	code := m.Run()
	if generated.store != nil {
		generated.store.Close()
	}
	if generated.dir != "" {
		os.RemoveAll(generated.dir)
	}
	os.Exit(code)
}

func dur(d time.Duration) *time.Duration { return &d }
func yes(b bool) *bool                   { return &b }

// matches is the brute-force evaluation of a filter over the model.
func matches(s *genSession, f store.SessionFilter) bool {
	urlOK := func(pattern string, urls ...string) bool {
		for _, u := range urls {
			if store.MatchURL(pattern, u) {
				return true
			}
		}
		return false
	}
	d := s.end - s.start
	reached := func(name string) (has, ok bool) {
		for _, g := range genGoals {
			if g.Project == s.project && g.Name == name {
				return true, store.GoalReached(g, s.urls(), s.eventNames())
			}
		}
		return false, false
	}
	switch {
	case f.Project != 0 && s.project != f.Project,
		f.URL != "" && !urlOK(f.URL, s.urls()...),
		f.Entry != "" && !urlOK(f.Entry, s.entry),
		f.Exit != "" && !urlOK(f.Exit, s.exit),
		f.MinDuration != nil && d < f.MinDuration.Milliseconds(),
		f.MaxDuration != nil && d > f.MaxDuration.Milliseconds(),
		f.MinActive != nil && s.active < f.MinActive.Milliseconds(),
		!f.From.IsZero() && s.start < f.From.UnixMilli(),
		!f.To.IsZero() && s.start > f.To.UnixMilli(),
		f.Device != "" && !strings.EqualFold(s.device, f.Device),
		f.OS != "" && !strings.EqualFold(s.os, f.OS),
		f.Browser != "" && !strings.EqualFold(s.browser, f.Browser) && !strings.HasPrefix(strings.ToLower(s.browser), strings.ToLower(f.Browser)+" "),
		f.User != "" && s.user != f.User,
		f.Live != nil && (s.end >= f.LiveSince.UnixMilli()) != *f.Live,
		f.Bounce != nil && (len(s.pageViews) <= 1 && d < 10_000) != *f.Bounce:
		return false
	}
	for k, v := range f.Traits {
		if s.traits[k] != v {
			return false
		}
	}
	for _, e := range f.Events {
		if _, ok := s.events[e]; !ok {
			return false
		}
	}
	for _, sig := range f.Signals {
		if s.counts[sig.Kind] < sig.N {
			return false
		}
	}
	for _, g := range f.Converted {
		if has, ok := reached(g); !has || !ok {
			return false
		}
	}
	for _, g := range f.NotConverted {
		if has, ok := reached(g); !has || ok {
			return false
		}
	}
	for _, w := range store.Words(strings.ToLower(f.Q)) {
		if !slices.ContainsFunc(s.words, func(word string) bool { return strings.HasPrefix(word, w) }) {
			return false
		}
	}
	return true
}

// expected lists the model's sessions a filter picks, in sort's order.
func expected(all []*genSession, f store.SessionFilter, order string) []*genSession {
	var out []*genSession
	for _, s := range all {
		if matches(s, f) {
			out = append(out, s)
		}
	}
	key := func(s *genSession) float64 {
		switch order {
		case store.SortLongest:
			return float64(s.end - s.start)
		case store.SortScore:
			return s.score.Total
		}
		return float64(s.start)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ka, kb := key(a), key(b); ka != kb {
			return (ka > kb) != (order == store.SortOldest)
		}
		return (a.n > b.n) != (order == store.SortOldest)
	})
	return out
}

func TestSearchMatchesBruteForce(t *testing.T) {
	st, all := generatedIndex(t)
	ctx := context.Background()
	day := func(d int) time.Time { return genBase.AddDate(0, 0, d) }
	now := day(30)
	cases := []struct {
		name string
		f    store.SessionFilter
	}{
		{"all", store.SessionFilter{}},
		{"project", store.SessionFilter{Project: 2}},
		{"url substring", store.SessionFilter{URL: "/CHECKOUT/"}},
		{"url glob", store.SessionFilter{URL: "*/products/1?"}},
		{"entry", store.SessionFilter{Entry: "/blog/"}},
		{"exit glob", store.SessionFilter{Exit: "*/cart"}},
		{"min duration", store.SessionFilter{MinDuration: dur(3 * time.Minute)}},
		{"max duration", store.SessionFilter{MaxDuration: dur(20 * time.Second)}},
		{"duration range", store.SessionFilter{MinDuration: dur(30 * time.Second), MaxDuration: dur(90 * time.Second)}},
		{"min active", store.SessionFilter{MinActive: dur(100 * time.Second)}},
		{"from to", store.SessionFilter{From: day(10), To: day(12)}},
		{"device", store.SessionFilter{Device: "Mobile"}},
		{"browser family", store.SessionFilter{Browser: "chrome"}},
		{"browser version", store.SessionFilter{Browser: "Chrome 121"}},
		{"os", store.SessionFilter{OS: "linux"}},
		{"user", store.SessionFilter{User: "u17"}},
		{"trait", store.SessionFilter{Traits: map[string]string{"plan": "pro"}}},
		{"traits", store.SessionFilter{Traits: map[string]string{"plan": "team", "country": "de"}}},
		{"event", store.SessionFilter{Events: []string{"add_to_cart"}}},
		{"signal", store.SessionFilter{Signals: []store.SignalAtLeast{{Kind: store.SignalRageClick, N: 1}}}},
		{"signal at least", store.SessionFilter{Signals: []store.SignalAtLeast{{Kind: store.SignalDeadClick, N: 3}}}},
		{"two signals", store.SessionFilter{Signals: []store.SignalAtLeast{{Kind: store.SignalErrorClick, N: 1}, {Kind: store.SignalQuickBack, N: 1}}}},
		{"converted", store.SessionFilter{Converted: []string{"checkout"}}},
		{"converted in project", store.SessionFilter{Project: 1, Converted: []string{"signup"}}},
		{"not converted", store.SessionFilter{NotConverted: []string{"checkout"}}},
		{"live", store.SessionFilter{Live: yes(true), LiveSince: now.Add(-5 * time.Minute)}},
		{"not live", store.SessionFilter{Live: yes(false), LiveSince: now}},
		{"bounce", store.SessionFilter{Bounce: yes(true)}},
		{"no bounce", store.SessionFilter{Bounce: yes(false)}},
		{"q", store.SessionFilter{Q: "typeerror"}},
		{"q prefix words", store.SessionFilter{Q: "Zeb prom"}},
		{"q rare", store.SessionFilter{Q: "quokka"}},
		{"q url words", store.SessionFilter{Q: "shop2 thanks"}},
		{"device signal", store.SessionFilter{Device: "desktop", Signals: []store.SignalAtLeast{{Kind: store.SignalRageClick, N: 1}}}},
		{"project url duration", store.SessionFilter{Project: 1, URL: "/cart", MinDuration: dur(time.Minute)}},
		{"q converted", store.SessionFilter{Q: "coupon", NotConverted: []string{"checkout"}}},
		{"user trait os", store.SessionFilter{Traits: map[string]string{"country": "fr"}, OS: "iOS", From: day(20)}},
		{"nothing", store.SessionFilter{User: "nobody"}},
	}
	limits := map[string]int{store.SortNewest: 500}
	for _, c := range cases {
		for _, order := range []string{store.SortNewest, store.SortOldest, store.SortLongest, store.SortScore} {
			if order != store.SortNewest && !strings.HasPrefix(c.name, "q") && !strings.Contains(c.name, "signal") &&
				c.name != "all" && c.name != "converted" && c.name != "trait" {
				continue // every filter in one order; some in every order
			}
			want := expected(all, c.f, order)
			if c.name == "all" && len(want) != searchSessions {
				t.Fatalf("the model has %d sessions", len(want))
			}
			if len(want) == 0 && c.name != "nothing" {
				t.Errorf("%s: the generated data has no session for it; the case checks nothing", c.name)
			}
			limit := limits[order]
			if limit == 0 {
				limit = 173
			}
			var got []store.Session
			q := store.SessionQuery{Filter: c.f, Sort: order, Limit: limit, Count: true}
			for pages := 0; ; pages++ {
				res, err := st.Search(ctx, q)
				if err != nil {
					t.Fatalf("%s by %s: %v", c.name, order, err)
				}
				if q.Cursor == "" && (res.Count != min(len(want), countCap) || res.CountCapped != (len(want) > countCap)) {
					t.Errorf("%s: count %d (capped %v), want %d", c.name, res.Count, res.CountCapped, len(want))
				}
				got = append(got, res.Sessions...)
				if res.Next == "" || (order != store.SortNewest && pages == 3) {
					break
				}
				q.Cursor = res.Next
			}
			if order != store.SortNewest {
				want = want[:min(len(want), len(got))]
			}
			compare(t, fmt.Sprintf("%s by %s", c.name, order), got, want)
		}
	}
}

// Each plan of a text search (listed, gathered, probed) finds the same
// sessions as the model, whichever the index's counts would pick.
func TestSearchTextPlans(t *testing.T) {
	st, all := generatedIndex(t)
	ctx := context.Background()
	t.Cleanup(func() { planned = nil })
	for _, plan := range []textPlan{listed, gathered, probed} {
		planned = &plan
		for _, f := range []store.SessionFilter{
			{Q: "typeerror"}, {Q: "Zeb prom"}, {Q: "quokka"}, {Q: "shop2 thanks"}, {Q: "coupon", Device: "mobile"},
			{Q: "nowordlikethis"}, {Q: "p"},
		} {
			for _, order := range []string{store.SortNewest, store.SortScore} {
				want := expected(all, f, order)
				res, err := st.Search(ctx, store.SessionQuery{Filter: f, Sort: order, Limit: 60, Count: true})
				if err != nil {
					t.Fatalf("plan %d, %q by %s: %v", plan, f.Q, order, err)
				}
				if res.Count != min(len(want), countCap) {
					t.Errorf("plan %d, %q: count %d, want %d", plan, f.Q, res.Count, min(len(want), countCap))
				}
				compare(t, fmt.Sprintf("plan %d, %q by %s", plan, f.Q, order), res.Sessions, want[:min(len(want), 60)])
			}
		}
	}
}

func compare(t *testing.T, name string, got []store.Session, want []*genSession) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d sessions, want %d", name, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Project != w.project || g.ID != w.id {
			t.Errorf("%s: #%d is %d/%s, want %d/%s", name, i, g.Project, g.ID, w.project, w.id)
			return
		}
		if g.ActiveMS != w.active || g.ExitURL != w.exit || g.UserID != w.user || g.Score.Total != w.score.Total ||
			g.Clicks != w.clicks || g.Errors != w.errs || g.FailedRequests != w.failed || g.EntryURL != w.entry ||
			fmt.Sprint(g.SignalCounts) != fmt.Sprint(w.counts) || g.ViewportWidth != w.vw || len(g.Windows) != len(w.windows) {
			t.Errorf("%s: %s is %+v\nwant active %d exit %s user %q score %v counts %v", name, w.id, g, w.active, w.exit, w.user, w.score, w.counts)
			return
		}
	}
}
