package api

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

func TestParseQueryRejects(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		query   string
		project int64
		param   string
	}{
		{"colour=red", 0, "colour"},
		{"min_duration=5", 0, "min_duration"},
		{"min_duration=-5s", 0, "min_duration"},
		{"max_duration=soon", 0, "max_duration"},
		{"min_active=1x", 0, "min_active"},
		{"min_duration=5m&max_duration=1m", 0, "min_duration"},
		{"from=yesterday", 0, "from"},
		{"to=2026-13-01", 0, "to"},
		{"from=2026-11-27&to=2026-11-26", 0, "from"},
		{"from=2026-11-26T10:00:00Z&to=2026-11-26T09:00:00Z", 0, "from"},
		{"signal=rage", 0, "signal"},
		{"signal=rage_click:0", 0, "signal"},
		{"signal=rage_click:many", 0, "signal"},
		{"signal=rage_click&signal=bogus:2", 0, "signal"},
		{"live=maybe", 0, "live"},
		{"bounce=2", 0, "bounce"},
		{"sort=random", 0, "sort"},
		{"limit=0", 0, "limit"},
		{"limit=501", 0, "limit"},
		{"limit=ten", 0, "limit"},
		{"project=abc", 0, "project"},
		{"project=2", 1, "project"},
		{"project=1&project=2", 0, "project"},
		{"url=a&url=b", 0, "url"},
		{"trait.=x", 0, "trait."},
		{"q=%22%28*", 0, "q"},
		{"q=a+b+c+d+e+f+g+h+i", 0, "q"},
		{"converted=checkout&not_converted=checkout", 0, "not_converted"},
		{"url=" + strings.Repeat("a", 3000), 0, "url"},
	} {
		v, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseQuery(v, tt.project, now)
		var fe *store.FilterError
		if !errors.As(err, &fe) || !errors.Is(err, store.ErrInvalidFilter) {
			t.Errorf("%s: err %v, want a filter error", tt.query, err)
			continue
		}
		if fe.Param != tt.param || !strings.HasPrefix(fe.Error(), tt.param+":") {
			t.Errorf("%s: names %q (%v), want %q", tt.query, fe.Param, fe, tt.param)
		}
	}
}

func TestParseQueryReads(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	v, _ := url.ParseQuery("project=3&url=/cart&entry=*/blog/*&exit=done&min_duration=30s&max_duration=1h&min_active=5m" +
		"&from=2026-11-01&to=2026-11-02&device=mobile&browser=Chrome&os=iOS&user=u1&trait.plan=pro&event=signup" +
		"&signal=rage_click&signal=dead_click:3&converted=checkout&live=true&bounce=false&q=TypeError&sort=score" +
		"&limit=20&cursor=abc&os=&device=")
	// An empty field of a form is no filter; a repeated one is not allowed
	// except for the repeatable ones.
	v["os"] = []string{"iOS"}
	v["device"] = []string{"mobile"}
	v.Add("not_converted", "")
	q, err := ParseQuery(v, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	f := q.Filter
	switch {
	case f.Project != 3, f.URL != "/cart", f.Entry != "*/blog/*", f.Exit != "done",
		*f.MinDuration != 30*time.Second, *f.MaxDuration != time.Hour, *f.MinActive != 5*time.Minute,
		!f.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)),
		!f.To.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)),
		f.Device != "mobile", f.Browser != "Chrome", f.OS != "iOS", f.User != "u1", f.Traits["plan"] != "pro",
		len(f.Events) != 1, len(f.Signals) != 2 || f.Signals[1] != (store.SignalAtLeast{Kind: "dead_click", N: 3}),
		len(f.Converted) != 1, len(f.NotConverted) != 0, !*f.Live, !f.LiveSince.Equal(now.Add(-LiveWindow)),
		*f.Bounce, f.Q != "TypeError", q.Sort != "score", q.Limit != 20, q.Cursor != "abc":
		t.Errorf("parsed %+v, filter %+v", q, f)
	}
	if q, err := ParseQuery(url.Values{}, 5, now); err != nil || q.Limit != DefaultLimit || q.Filter.Project != 5 {
		t.Errorf("no parameters: %+v, %v", q, err)
	}
}
