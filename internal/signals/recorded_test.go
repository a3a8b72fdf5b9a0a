package signals

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/store"
)

func analyseRecording(t *testing.T, name string) []*store.WindowAnalysis {
	t.Helper()
	return analyseWith(t, name, DefaultConfig)
}

func analyseWith(t *testing.T, name string, cfg Config) []*store.WindowAnalysis {
	t.Helper()
	rec, err := recordings.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.WindowAnalysis
	for _, win := range rec.Windows {
		raw, _ := json.Marshal(win.Events)
		events, err := ParseEvents(raw)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWindow(win.ID, cfg)
		w.Feed(events)
		out = append(out, w.Analysis())
	}
	return out
}

// The signals fixture, recorded in Chromium by Playhead's recorder, shows
// each thing the detectors must find and each they must let be.
func TestRecordedSignals(t *testing.T) {
	a := analyseRecording(t, recordings.Signals)[0]
	type found struct{ kind, selector, text string }
	var got []found
	for _, s := range a.Signals {
		got = append(got, found{s.Kind, s.Selector, s.Text})
	}
	want := []found{
		// "Buy now" clicked four times, doing nothing.
		{store.SignalRageClick, "button#buy", "Buy now"},
		{store.SignalDeadClick, "button#buy", "Buy now"},
		// "Apply coupon" throws.
		{store.SignalErrorClick, "button#coupon", "Apply coupon"},
		{store.SignalJSError, "", ""},
		// The shipping page, left at once.
		{store.SignalQuickBack, "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("signals %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("signal %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if rage := a.Signals[0]; rage.Count != 4 {
		t.Errorf("the rage click counts %d clicks, want 4", rage.Count)
	}
	if back := a.Signals[4]; !strings.HasSuffix(back.URL, "/site/signals-b.html") {
		t.Errorf("quick back from %s, want the shipping page", back.URL)
	}
	// The stepper's five quick clicks counted, and the triple click
	// selected text: neither is a rage click, so the clicks are all there
	// and only Buy's burst was reported.
	if a.Clicks != 5+4+1+3+2 {
		t.Errorf("%d clicks, want 15", a.Clicks)
	}
	if len(a.Pages) != 3 || a.Pages[0].Title != "Playhead signals fixture" {
		t.Errorf("pages = %+v", a.Pages)
	}
}

// The struggle fixture, recorded in Chromium by Playhead's recorder, shows
// each of the other detectors' signals once; its calm mouse move and
// scroll come to nothing.
func TestRecordedStruggle(t *testing.T) {
	a := analyseRecording(t, recordings.Struggle)[0]
	type found struct{ kind, page, selector string }
	var got []found
	for _, s := range a.Signals {
		got = append(got, found{s.Kind, s.URL[strings.LastIndex(s.URL, "/")+1:], s.Selector})
	}
	want := []found{
		{store.SignalThrashingCursor, "struggle.html", ""},
		{store.SignalExcessiveScroll, "struggle.html", ""},
		// "Load prices" answers 500; "Check stock" takes 3.5 s.
		{store.SignalFailedRequest, "struggle.html", ""},
		{store.SignalSlowRequest, "struggle.html", ""},
		// City and postcode typed, then a link followed.
		{store.SignalFormAbandon, "struggle.html", "form#finder"},
		// The store's picture arrives after 4.5 s.
		{store.SignalSlowPage, "struggle-b.html", ""},
		// The newsletter form, sent 4 s after its first keystroke, is
		// not slow by the default threshold (2 minutes); clicking into
		// its field is not a dead click. Then 31 s without input.
		{store.SignalInactivity, "struggle-b.html", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("signals %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("signal %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	byKind := map[string]store.Signal{}
	for _, s := range a.Signals {
		byKind[s.Kind] = s
	}
	if s := byKind[store.SignalFailedRequest]; s.Value != 500 || !strings.Contains(s.Detail, "/fixture/prices") {
		t.Errorf("failed request %+v", s)
	}
	if s := byKind[store.SignalSlowRequest]; s.Value < 3500 || !strings.Contains(s.Detail, "/fixture/stock") {
		t.Errorf("slow request %+v", s)
	}
	if s := byKind[store.SignalSlowPage]; s.Value < 4500 {
		t.Errorf("slow page %+v, want LCP ≥ 4.5 s", s)
	}
	if s := byKind[store.SignalInactivity]; s.Value < 30000 {
		t.Errorf("inactivity %+v, want 31 s", s)
	}

	// A project whose forms should take under 3 s finds it slow.
	cfg := DefaultConfig
	cfg.SlowForm = 3 * time.Second
	var slow []store.Signal
	for _, s := range analyseWith(t, recordings.Struggle, cfg)[0].Signals {
		if s.Kind == store.SignalSlowForm {
			slow = append(slow, s)
		}
	}
	if len(slow) != 1 || slow[0].Selector != "button#subscribe" || slow[0].Value < 4000 {
		t.Errorf("slow forms with a 3 s threshold: %+v, want the newsletter's, over 4 s", slow)
	}
}

// The other recordings are ordinary visits: nothing to report.
func TestRecordedVisitsAreQuiet(t *testing.T) {
	for _, name := range []string{recordings.DemoShop, recordings.TwoWindows} {
		for _, a := range analyseRecording(t, name) {
			if len(a.Signals) != 0 {
				t.Errorf("%s: signals %s", name, kinds(a))
			}
		}
	}
}
