package process

import (
	"testing"
	"time"

	"github.com/playhead/playhead/internal/batch"
)

func TestFold(t *testing.T) {
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	hs := []batch.Header{
		{Project: 1, Session: "s", Window: "w1", UserAgent: ua, Count: 3, First: 1000, Last: 2000,
			Pages: []batch.Page{{URL: "https://a.example/", Timestamp: 1000}}},
		{Project: 1, Session: "s", Window: "w2", Count: 1, First: 1500, Last: 1500},
		{Project: 1, Session: "s", Window: "w1", Count: 2, First: 900, Last: 3000,
			Pages: []batch.Page{{URL: "https://a.example/cart", Timestamp: 2500}}},
		{Project: 2, Session: "s", Window: "w1", Count: 1, First: 5, Last: 5}, // another project's claim
	}
	us := Fold(hs)
	if len(us) != 3 {
		t.Fatalf("%d updates, want 3 (w1, w2, and the other project's)", len(us))
	}
	w1 := us[0]
	if w1.Window != "w1" || w1.Events != 5 || !w1.First.Equal(time.UnixMilli(900)) || !w1.Last.Equal(time.UnixMilli(3000)) {
		t.Errorf("w1 = %+v", w1)
	}
	if len(w1.PageViews) != 2 || w1.PageViews[1].URL != "https://a.example/cart" || w1.PageViews[1].Window != "w1" {
		t.Errorf("w1 pages = %+v", w1.PageViews)
	}
	if w1.Browser != "Chrome 120" || w1.OS != "Windows" || w1.Device != "desktop" {
		t.Errorf("w1 agent = %q %q %q", w1.Browser, w1.OS, w1.Device)
	}
	if us[1].Window != "w2" || us[1].Events != 1 || us[2].Project != 2 {
		t.Errorf("updates = %+v", us)
	}
}

// Batches of two projects under the same ids, interleaved, fold apart.
func TestFoldKeepsProjectsApart(t *testing.T) {
	hs := []batch.Header{
		{Project: 1, Session: "s", Window: "w", Count: 1, First: 10, Last: 10},
		{Project: 2, Session: "s", Window: "w", Count: 4, First: 20, Last: 20},
		{Project: 1, Session: "s", Window: "w", Count: 2, First: 30, Last: 30},
	}
	us := Fold(hs)
	if len(us) != 2 || us[0].Project != 1 || us[0].Events != 3 || us[1].Project != 2 || us[1].Events != 4 {
		t.Fatalf("updates = %+v", us)
	}
}

func TestClockOffset(t *testing.T) {
	received := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return received.Add(d).UnixMilli() }
	for _, tt := range []struct {
		name string
		last int64
		want time.Duration
	}{
		{"sent at once", at(-2 * time.Second), 0},
		{"a little ahead", at(5 * time.Minute), 0},
		{"held back offline for hours", at(-20 * time.Hour), 0},
		{"two days ahead", at(48 * time.Hour), -48 * time.Hour},
		{"just past the bound ahead", at(MaxClockAhead + time.Second), -(MaxClockAhead + time.Second)},
		{"a week behind", at(-7 * 24 * time.Hour), 7 * 24 * time.Hour},
	} {
		if got := ClockOffset(received, tt.last); got != tt.want {
			t.Errorf("%s: offset %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct{ last, want time.Duration }{
		{0, 100 * time.Millisecond},
		{100 * time.Millisecond, 200 * time.Millisecond},
		{16 * time.Second, 30 * time.Second},
		{30 * time.Second, 30 * time.Second},
	} {
		if got := backoff(tt.last); got != tt.want {
			t.Errorf("backoff(%v) = %v, want %v", tt.last, got, tt.want)
		}
	}
}

// A window's batches an idle half hour apart fold into updates of their
// own, for the index to put in parts of their own.
func TestFoldKeepsIdleGapsApart(t *testing.T) {
	const minute = 60_000
	hs := []batch.Header{
		{Project: 1, Session: "s", Window: "w", Count: 1, First: 0, Last: minute},
		{Project: 1, Session: "s", Window: "w", Count: 1, First: 5 * minute, Last: 6 * minute},
		{Project: 1, Session: "s", Window: "w", Count: 1, First: 40 * minute, Last: 41 * minute},
	}
	us := Fold(hs)
	if len(us) != 2 || us[0].Events != 2 || us[1].Events != 1 || !us[1].First.Equal(time.UnixMilli(40*minute)) {
		t.Fatalf("updates = %+v", us)
	}
}
