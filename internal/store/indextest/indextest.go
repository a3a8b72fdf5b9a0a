// Package indextest is the conformance suite every sessions index runs:
// what the processor, the API, the dashboard and erasure rely on.
package indextest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Index is what the suite exercises.
type Index interface {
	Processed(ctx context.Context, name string) (int64, error)
	ApplySessionUpdates(ctx context.Context, name string, upto int64, updates []store.SessionUpdate) error
	Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error)
	Session(ctx context.Context, project int64, id string) (store.Session, error)
	SessionRecorded(ctx context.Context, project int64, id string) (string, error)
	EraseSessions(ctx context.Context, project int64, recorded []string) (store.Erased, error)
	ResetIndex(ctx context.Context) error
}

// at is t0 moved by d: the suite's sessions happen from t0 on.
func at(d time.Duration) time.Time { return time.UnixMilli(1_795_000_000_000).Add(d).UTC() }

// fixed is the small set of sessions the search filters run on: three of
// project 1 (a, b, c, an hour apart) and one of project 2 (a).
func fixed() []store.SessionUpdate {
	page := func(url string, d time.Duration) store.PageView {
		return store.PageView{Window: "w1", URL: url, Start: at(d), Width: 1280, Height: 800}
	}
	return []store.SessionUpdate{
		{Project: 1, Session: "a", Window: "w1", First: at(0), Last: at(60 * time.Second), Events: 40,
			PageViews: []store.PageView{page("https://shop.example/", 0)},
			UserAgent: "ua-chrome", Browser: "Chrome 120", OS: "Linux", Device: "desktop"},
		{Project: 1, Session: "a", Window: "w1", First: at(60 * time.Second), Last: at(120 * time.Second), Events: 20,
			PageViews: []store.PageView{page("https://shop.example/cart", 90*time.Second)},
			Analysis: &store.WindowAnalysis{ActiveMS: 60_000, Clicks: 7, UserID: "u-1", ExitURL: "https://shop.example/cart",
				ExitAt:       at(90 * time.Second),
				CustomEvents: []store.CustomEvent{{Name: "checkout", Time: at(100 * time.Second)}},
				Shown:        []store.Visibility{{Time: at(70 * time.Second), Visible: false}, {Time: at(80 * time.Second), Visible: true}},
				Pages: []store.PageVisit{{URL: "https://shop.example/", Start: at(0), Duration: 90 * time.Second},
					{URL: "https://shop.example/cart", Start: at(90 * time.Second), Duration: 30 * time.Second}},
				Signals: []store.Signal{{Kind: store.SignalRageClick, Window: "w1", Time: at(95 * time.Second),
					URL: "https://shop.example/cart", Count: 4}},
				Text: []string{"Pay now"}}},
		{Project: 1, Session: "b", Window: "w1", First: at(time.Hour), Last: at(time.Hour + 5*time.Second), Events: 3,
			PageViews: []store.PageView{page("https://shop.example/help", time.Hour)},
			UserAgent: "ua-safari", Browser: "Safari 17", OS: "iOS", Device: "mobile"},
		{Project: 1, Session: "c", Window: "w1", First: at(2 * time.Hour), Last: at(2*time.Hour + 10*time.Minute), Events: 90,
			PageViews: []store.PageView{page("https://blog.example/post", 2*time.Hour)},
			UserAgent: "ua-firefox", Browser: "Firefox 121", OS: "Windows", Device: "desktop",
			Analysis: &store.WindowAnalysis{ActiveMS: 300_000, UserID: "u-2", ExitURL: "https://blog.example/post",
				ExitAt: at(2 * time.Hour),
				Signals: []store.Signal{
					{Kind: store.SignalJSError, Window: "w1", Time: at(2*time.Hour + time.Minute), Count: 1, Detail: "x is undefined"},
					{Kind: store.SignalJSError, Window: "w1", Time: at(2*time.Hour + 2*time.Minute), Count: 1, Detail: "y is undefined"},
				}}},
		{Project: 2, Session: "a", Window: "w1", First: at(3 * time.Hour), Last: at(3*time.Hour + time.Second), Events: 1,
			PageViews: []store.PageView{page("https://shop.example/", 3*time.Hour)},
			UserAgent: "ua-chrome", Browser: "Chrome 120", OS: "Linux", Device: "desktop"},
	}
}

func ids(list []store.Session) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%d/%s", s.Project, s.ID)
	}
	return fmt.Sprint(out)
}

// Run checks a fresh, empty index made by open. Projects 1 and 2 must
// exist in its store.
func Run(t *testing.T, open func(t *testing.T) Index) {
	ctx := context.Background()
	withFixed := func(t *testing.T) Index {
		t.Helper()
		ix := open(t)
		if err := ix.ApplySessionUpdates(ctx, "sessions", 5, fixed()); err != nil {
			t.Fatal(err)
		}
		return ix
	}
	search := func(t *testing.T, ix Index, q store.SessionQuery) store.SessionResults {
		t.Helper()
		res, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		return res
	}

	t.Run("position", func(t *testing.T) {
		ix := open(t)
		if upto, err := ix.Processed(ctx, "sessions"); err != nil || upto != 0 {
			t.Fatalf("position of a fresh index = %d, %v; want 0", upto, err)
		}
		if err := ix.ApplySessionUpdates(ctx, "sessions", 7, nil); err != nil {
			t.Fatal(err)
		}
		if err := ix.ApplySessionUpdates(ctx, "sessions", 9, fixed()[:1]); err != nil {
			t.Fatal(err)
		}
		if upto, err := ix.Processed(ctx, "sessions"); err != nil || upto != 9 {
			t.Errorf("position = %d, %v; want 9", upto, err)
		}
		if upto, err := ix.Processed(ctx, "other"); err != nil || upto != 0 {
			t.Errorf("another reader's position = %d, %v; want 0", upto, err)
		}
	})

	t.Run("session updates fold into a session", func(t *testing.T) {
		ix := withFixed(t)
		// A second tab of session a.
		if err := ix.ApplySessionUpdates(ctx, "sessions", 6, []store.SessionUpdate{{Project: 1, Session: "a", Window: "w2",
			First: at(30 * time.Second), Last: at(50 * time.Second), Events: 5,
			PageViews: []store.PageView{{Window: "w2", URL: "https://shop.example/faq", Start: at(30 * time.Second)}}}}); err != nil {
			t.Fatal(err)
		}
		a, err := ix.Session(ctx, 1, "a")
		if err != nil {
			t.Fatal(err)
		}
		if !a.Start.Equal(at(0)) || !a.End.Equal(at(120*time.Second)) || a.Duration() != 2*time.Minute {
			t.Errorf("session 1/a spans %v – %v, want t0 – t0+2m", a.Start, a.End)
		}
		if a.Recorded != "a" || a.EntryURL != "https://shop.example/" || a.Pages != 3 || len(a.PageViews) != 3 ||
			a.Browser != "Chrome 120" || a.OS != "Linux" || a.Device != "desktop" || a.UserAgent != "ua-chrome" {
			t.Errorf("session 1/a = %+v", a)
		}
		events := map[string]int{}
		for _, w := range a.Windows {
			events[w.ID] = w.Events
		}
		if len(a.Windows) != 2 || events["w1"] != 60 || events["w2"] != 5 {
			t.Errorf("windows of 1/a = %+v, want w1 with 60 events and w2 with 5", a.Windows)
		}
		for _, w := range a.Windows {
			want := map[string][]store.Visibility{"w1": {{Time: at(70 * time.Second)}, {Time: at(80 * time.Second), Visible: true}}}[w.ID]
			if len(w.Shown) != len(want) || len(want) > 0 && (!w.Shown[0].Time.Equal(want[0].Time) || w.Shown[0].Visible ||
				!w.Shown[1].Time.Equal(want[1].Time) || !w.Shown[1].Visible) {
				t.Errorf("window %s of 1/a shown %+v, want %+v", w.ID, w.Shown, want)
			}
		}
		if a.UserID != "u-1" || a.ActiveMS != 60_000 || a.Clicks != 7 || a.ExitURL != "https://shop.example/cart" ||
			a.SignalCounts[store.SignalRageClick] != 1 || len(a.Signals) != 1 || a.Signals[0].Count != 4 ||
			len(a.CustomEvents) != 1 || a.CustomEvents[0].Name != "checkout" {
			t.Errorf("analysis of 1/a = user %q, active %d, clicks %d, exit %q, signals %v %+v, events %+v",
				a.UserID, a.ActiveMS, a.Clicks, a.ExitURL, a.SignalCounts, a.Signals, a.CustomEvents)
		}
		other, err := ix.Session(ctx, 2, "a")
		if err != nil || !other.Start.Equal(at(3*time.Hour)) || len(other.Windows) != 1 || other.Windows[0].Events != 1 {
			t.Errorf("session 2/a = %+v, %v; want its own", other, err)
		}
		for _, k := range []struct {
			project int64
			id      string
		}{{1, "zzz"}, {2, "b"}, {3, "a"}} {
			if _, err := ix.Session(ctx, k.project, k.id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session %d/%s: %v, want store.ErrNotFound", k.project, k.id, err)
			}
		}
	})

	t.Run("search filters", func(t *testing.T) {
		ix := withFixed(t)
		d := func(v time.Duration) *time.Duration { return &v }
		for _, tt := range []struct {
			name string
			f    store.SessionFilter
			want string
		}{
			{"all", store.SessionFilter{}, "[2/a 1/c 1/b 1/a]"},
			{"project", store.SessionFilter{Project: 1}, "[1/c 1/b 1/a]"},
			{"projects seen", store.SessionFilter{Projects: []int64{2}}, "[2/a]"},
			{"no project seen", store.SessionFilter{Projects: []int64{}}, "[]"},
			{"url substring, any case", store.SessionFilter{URL: "CART"}, "[1/a]"},
			{"url glob", store.SessionFilter{URL: "https://shop.example/*"}, "[2/a 1/b 1/a]"},
			{"entry", store.SessionFilter{Entry: "help"}, "[1/b]"},
			{"min duration", store.SessionFilter{MinDuration: d(time.Minute)}, "[1/c 1/a]"},
			{"max duration", store.SessionFilter{MaxDuration: d(time.Minute)}, "[2/a 1/b]"},
			{"min active", store.SessionFilter{MinActive: d(2 * time.Minute)}, "[1/c]"},
			{"start range", store.SessionFilter{From: at(time.Hour), To: at(2 * time.Hour)}, "[1/c 1/b]"},
			{"device", store.SessionFilter{Device: "MOBILE"}, "[1/b]"},
			{"browser name", store.SessionFilter{Browser: "Chrome"}, "[2/a 1/a]"},
			{"browser and version", store.SessionFilter{Browser: "Firefox 121"}, "[1/c]"},
			{"os", store.SessionFilter{OS: "ios"}, "[1/b]"},
			{"user", store.SessionFilter{User: "u-2"}, "[1/c]"},
			{"custom event", store.SessionFilter{Events: []string{"checkout"}}, "[1/a]"},
			{"signals", store.SessionFilter{Signals: []store.SignalAtLeast{{Kind: store.SignalJSError, N: 2}}}, "[1/c]"},
			{"too few signals", store.SessionFilter{Signals: []store.SignalAtLeast{{Kind: store.SignalJSError, N: 3}}}, "[]"},
			{"free text, word prefix", store.SessionFilter{Q: "pay"}, "[1/a]"},
			{"recorded", store.SessionFilter{Recorded: "b"}, "[1/b]"},
			{"every condition", store.SessionFilter{Project: 1, Device: "desktop", MinDuration: d(5 * time.Minute)}, "[1/c]"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := search(t, ix, store.SessionQuery{Filter: tt.f, Limit: 10})
				if got := ids(res.Sessions); got != tt.want {
					t.Errorf("search %+v = %s, want %s", tt.f, got, tt.want)
				}
			})
		}
	})

	t.Run("search orders, pages and counts", func(t *testing.T) {
		ix := withFixed(t)
		for _, tt := range []struct{ sort, want string }{
			{"", "[1/c 1/b 1/a]"},
			{store.SortOldest, "[1/a 1/b 1/c]"},
			{store.SortLongest, "[1/c 1/a 1/b]"},
		} {
			res := search(t, ix, store.SessionQuery{Filter: store.SessionFilter{Project: 1}, Sort: tt.sort, Limit: 10})
			if got := ids(res.Sessions); got != tt.want {
				t.Errorf("sorted %q: %s, want %s", tt.sort, got, tt.want)
			}
		}
		q := store.SessionQuery{Filter: store.SessionFilter{Project: 1}, Limit: 2, Count: true}
		first := search(t, ix, q)
		if ids(first.Sessions) != "[1/c 1/b]" || first.Next == "" || first.Count != 3 || first.CountCapped {
			t.Fatalf("first page = %s, next %q, count %d (capped %v); want [1/c 1/b], a next page, 3",
				ids(first.Sessions), first.Next, first.Count, first.CountCapped)
		}
		q.Cursor = first.Next
		second := search(t, ix, q)
		if ids(second.Sessions) != "[1/a]" || second.Next != "" {
			t.Errorf("second page = %s, next %q; want [1/a] and no next page", ids(second.Sessions), second.Next)
		}
		if _, err := ix.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Q: "  "}, Limit: 10}); !errors.Is(err, store.ErrInvalidFilter) {
			t.Errorf("search for no words: %v, want store.ErrInvalidFilter", err)
		}
	})

	t.Run("erase", func(t *testing.T) {
		ix := withFixed(t)
		if rec, err := ix.SessionRecorded(ctx, 1, "a"); err != nil || rec != "a" {
			t.Fatalf("recorded id of 1/a = %q, %v", rec, err)
		}
		out, err := ix.EraseSessions(ctx, 1, []string{"a"})
		if err != nil || out.Sessions != 1 {
			t.Fatalf("erase 1/a = %+v, %v; want one session", out, err)
		}
		if _, err := ix.Session(ctx, 1, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erased session: %v, want store.ErrNotFound", err)
		}
		if _, err := ix.SessionRecorded(ctx, 1, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("recorded id of an erased session: %v, want store.ErrNotFound", err)
		}
		if got := ids(search(t, ix, store.SessionQuery{Limit: 10}).Sessions); got != "[2/a 1/c 1/b]" {
			t.Errorf("after erasing 1/a: %s, want [2/a 1/c 1/b] (project 2's a kept)", got)
		}
		for _, f := range []store.SessionFilter{{Q: "pay"}, {User: "u-1"}, {Events: []string{"checkout"}}} {
			if got := ids(search(t, ix, store.SessionQuery{Filter: f, Limit: 10}).Sessions); got != "[]" {
				t.Errorf("search %+v after erasure = %s, want nothing", f, got)
			}
		}
		if again, err := ix.EraseSessions(ctx, 1, []string{"a"}); err != nil || again.Sessions != 0 {
			t.Errorf("erase again = %+v, %v; want nothing erased", again, err)
		}
	})

	t.Run("reset", func(t *testing.T) {
		ix := withFixed(t)
		if err := ix.ResetIndex(ctx); err != nil {
			t.Fatal(err)
		}
		if upto, err := ix.Processed(ctx, "sessions"); err != nil || upto != 0 {
			t.Errorf("position after a reset = %d, %v; want 0", upto, err)
		}
		if got := ids(search(t, ix, store.SessionQuery{Limit: 10}).Sessions); got != "[]" {
			t.Errorf("sessions after a reset = %s, want none", got)
		}
	})
}
