package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/dashboard"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// searchServer serves the API and the dashboard over a real store holding
// two sessions of one project with a goal.
func searchServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddGoal(ctx, p.Key, store.Goal{Name: "checkout", URL: "*/checkout/done"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	sec := func(s int) time.Time { return at.Add(time.Duration(s) * time.Second) }
	pages := []store.PageVisit{{URL: "https://shop.example/cart", Title: "Cart", Start: sec(0), Duration: 20 * time.Second},
		{URL: "https://shop.example/checkout/", Title: "Checkout", Start: sec(20), Duration: 40 * time.Second}}
	updates := []store.SessionUpdate{
		{Project: p.ID, Session: "frustrated", Window: "w1", First: sec(0), Last: sec(60), Events: 40,
			PageViews: []store.PageView{{Window: "w1", URL: pages[0].URL, Start: sec(0)}, {Window: "w1", URL: pages[1].URL, Start: sec(20)}},
			Browser:   "Chrome 120", OS: "Linux", Device: "desktop",
			Analysis: &store.WindowAnalysis{ActiveMS: 45000, Clicks: 9, Errors: 1, ExitURL: pages[1].URL, ExitAt: sec(20),
				UserID: "u1", Traits: map[string]string{"plan": "pro"}, Pages: pages,
				CustomEvents: []store.CustomEvent{{Name: "add_to_cart", Time: sec(5)}},
				Signals: []store.Signal{{Kind: store.SignalRageClick, Time: sec(30), URL: pages[1].URL, Selector: "button#pay", Text: "Pay", Count: 5},
					{Kind: store.SignalJSError, Time: sec(31), URL: pages[1].URL, Detail: "TypeError: card is undefined"}},
				Text: []string{"Pay", "TypeError: card is undefined"}}},
		{Project: p.ID, Session: "happy", Window: "w1", First: sec(100), Last: sec(105), Events: 3,
			PageViews: []store.PageView{{Window: "w1", URL: "https://shop.example/checkout/done", Start: sec(100)}},
			Analysis: &store.WindowAnalysis{ActiveMS: 2000, ExitURL: "https://shop.example/checkout/done", ExitAt: sec(100),
				Pages: []store.PageVisit{{URL: "https://shop.example/checkout/done", Title: "Thanks", Start: sec(100), Duration: 5 * time.Second}}}},
	}
	if err := st.ApplySessionUpdates(ctx, "sessions", 1, updates); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	(&api.API{Sessions: st, Tags: st, Notes: st, Logger: logger}).Register(mux)
	d, err := dashboard.New(st, "http://playhead.test", logger)
	if err != nil {
		t.Fatal(err)
	}
	d.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, u string, v any) int {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", u, err, body)
		}
	}
	return res.StatusCode
}

func TestSearchAPI(t *testing.T) {
	srv := searchServer(t)
	type list struct {
		Sessions []struct {
			ID           string         `json:"id"`
			ExitURL      string         `json:"exit_url"`
			UserID       string         `json:"user_id"`
			ActiveMS     int64          `json:"active_ms"`
			SignalCounts map[string]int `json:"signal_counts"`
			Score        struct {
				Total float64           `json:"total"`
				Parts []store.ScorePart `json:"parts"`
			} `json:"score"`
		} `json:"sessions"`
		NextCursor string `json:"next_cursor"`
		Count      int    `json:"count"`
	}
	for _, tt := range []struct{ query, want string }{
		{"", "happy frustrated"},
		{"sort=score", "frustrated happy"},
		{"signal=rage_click", "frustrated"},
		{"q=typeerror", "frustrated"},
		{"converted=checkout", "happy"},
		{"not_converted=checkout", "frustrated"},
		{"trait.plan=pro&user=u1&event=add_to_cart", "frustrated"},
		{"bounce=true", "happy"},
		{"min_active=30s&url=/cart", "frustrated"},
	} {
		var l list
		if code := get(t, srv.URL+"/api/v1/projects/1/sessions?"+tt.query, &l); code != 200 {
			t.Errorf("%s: status %d", tt.query, code)
		}
		var ids []string
		for _, s := range l.Sessions {
			ids = append(ids, s.ID)
		}
		if got := strings.Join(ids, " "); got != tt.want || l.Count != len(ids) {
			t.Errorf("%s: %q (count %d), want %q", tt.query, got, l.Count, tt.want)
		}
	}
	var l list
	get(t, srv.URL+"/api/v1/sessions?signal=rage_click", &l)
	s := l.Sessions[0]
	// rage click 3, js error 1, the checkout goal missed after its folder: 4.
	if s.Score.Total != 8 || len(s.Score.Parts) != 3 || s.SignalCounts["rage_click"] != 1 || s.UserID != "u1" ||
		s.ExitURL != "https://shop.example/checkout/" || s.ActiveMS != 45000 {
		t.Errorf("listed session %+v", s)
	}
	// Paging: one at a time, the cursor leads to the second and last.
	var p1, p2 list
	get(t, srv.URL+"/api/v1/sessions?limit=1", &p1)
	get(t, srv.URL+"/api/v1/sessions?limit=1&cursor="+url.QueryEscape(p1.NextCursor), &p2)
	if len(p1.Sessions) != 1 || p1.Sessions[0].ID != "happy" || len(p2.Sessions) != 1 || p2.Sessions[0].ID != "frustrated" || p2.NextCursor != "" {
		t.Errorf("pages %+v then %+v", p1, p2)
	}

	var detail struct {
		Visits []struct {
			URL        string `json:"url"`
			DurationMS int64  `json:"duration_ms"`
		} `json:"visits"`
		Signals []struct {
			Kind, Selector, Detail, Window string
			Count                          int
		} `json:"signals"`
		CustomEvents []struct{ Name string } `json:"custom_events"`
		Traits       map[string]string       `json:"traits"`
		Goals        []struct {
			Name    string     `json:"name"`
			Reached bool       `json:"reached"`
			At      *time.Time `json:"at"`
		} `json:"goals"`
	}
	if code := get(t, srv.URL+"/api/v1/projects/1/sessions/frustrated", &detail); code != 200 {
		t.Fatalf("detail: %d", code)
	}
	if len(detail.Visits) != 2 || detail.Visits[1].DurationMS != 40000 || len(detail.Signals) != 2 ||
		detail.Signals[0].Selector != "button#pay" || detail.Signals[0].Count != 5 || detail.Signals[0].Window != "w1" ||
		detail.Signals[1].Detail != "TypeError: card is undefined" || len(detail.CustomEvents) != 1 ||
		detail.Traits["plan"] != "pro" || len(detail.Goals) != 1 || detail.Goals[0].Reached || detail.Goals[0].At != nil {
		t.Errorf("detail %+v", detail)
	}
	get(t, srv.URL+"/api/v1/projects/1/sessions/happy", &detail)
	if len(detail.Goals) != 1 || !detail.Goals[0].Reached || detail.Goals[0].At == nil {
		t.Errorf("happy goals %+v", detail.Goals)
	}
}

func TestSearchAPIRejects(t *testing.T) {
	srv := searchServer(t)
	for _, tt := range []struct{ query, param string }{
		{"colour=red", "colour"},
		{"min_duration=5m&max_duration=1m", "min_duration"},
		{"from=2026-11-27&to=2026-11-26", "from"},
		{"signal=rage_click:x", "signal"},
		{"converted=nope", "converted"},
		{"cursor=garbage", "cursor"},
		{"sort=score&cursor=WyJuZXdlc3QiLDEsMV0", "cursor"},
	} {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		code := get(t, srv.URL+"/api/v1/sessions?"+tt.query, &e)
		if code != 400 || e.Error.Code != "invalid_filter" || !strings.HasPrefix(e.Error.Message, tt.param+":") {
			t.Errorf("%s: %d %+v; want 400 invalid_filter naming %s", tt.query, code, e, tt.param)
		}
	}
}

func TestDashboardFilters(t *testing.T) {
	srv := searchServer(t)
	for _, tt := range []struct {
		query      string
		status     int
		has, hasnt string
	}{
		{"", 200, `href="/projects/1/sessions/frustrated"`, "No session matches"},
		{"signal=rage_click&sort=score", 200, `<span class="badge">rage click 1</span>`, `/sessions/happy"`},
		{"q=nothing-like-it", 200, "No session matches", "<table"},
		{"limit=1", 200, "Next page", ""},
		{"min_duration=soon", 400, "min_duration: ", "<table"},
	} {
		res, err := http.Get(srv.URL + "/?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(body), tt.has) || (tt.hasnt != "" && strings.Contains(string(body), tt.hasnt)) {
			t.Errorf("/?%s: %d, want %d with %q and without %q", tt.query, res.StatusCode, tt.status, tt.has, tt.hasnt)
		}
	}
}
