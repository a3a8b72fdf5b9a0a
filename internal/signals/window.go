package signals

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Bounds on what one window's analysis keeps, whatever the page does.
const (
	maxSignals      = 500
	maxPages        = 1000
	maxCustomEvents = 100
	maxTexts        = 200
	maxTraits       = 50
)

// A detector folds a window's events into signals of one kind (or a few
// related ones). observe sees every event in order, after the window has
// taken it in; pending emits, without changing anything, what the
// detector would report if the events ended here.
type detector interface {
	observe(w *Window, e *Event)
	pending(w *Window, emit func(store.Signal))
}

// Window is the analysis of one window (tab) so far.
type Window struct {
	cfg       Config
	id        string
	dom       *dom
	detectors []detector

	first, last int64 // timestamps of the first and latest event
	url         string
	pages       []store.PageVisit

	lastInput      int64 // timestamp of the latest input, 0 before any
	activeMS       int64
	clicks         int
	errors         int
	failedRequests int
	width, height  int
	user           string
	traits         map[string]string
	customEvents   []store.CustomEvent
	shown          []store.Visibility
	texts          []string
	seenText       map[string]bool

	signals []store.Signal

	// click is the target of the event being fed, if it is a click,
	// worked out once for the window and the detectors that want it.
	click    target
	clickSet bool
}

// NewWindow starts the analysis of the window with the given id.
func NewWindow(id string, cfg Config) *Window {
	w := &Window{cfg: cfg, id: id, dom: newDOM(), seenText: map[string]bool{}}
	w.detectors = []detector{
		&rageClicks{}, &deadClicks{}, &errorClicks{}, &errorsAndRequests{}, &slowPages{},
		&thrashing{}, &scrolling{}, &quickBacks{}, &forms{}, &inactivity{},
	}
	return w
}

// Feed folds events in, in order.
func (w *Window) Feed(events []Event) {
	for i := range events {
		w.clickSet = false
		w.take(&events[i])
		for _, d := range w.detectors {
			d.observe(w, &events[i])
		}
	}
	w.click, w.clickSet = target{}, false
}

// take applies one event to what the window knows of its page and facts.
func (w *Window) take(e *Event) {
	if w.first == 0 || e.Timestamp < w.first {
		w.first = e.Timestamp
	}
	w.last = max(w.last, e.Timestamp)
	switch {
	case e.Type == typeMeta:
		w.enter(e.Timestamp, e.Href, "")
		if e.Width > 0 && e.Height > 0 {
			w.width, w.height = e.Width, e.Height
		}
	case e.Type == typeFullSnapshot:
		w.dom.reset(e.Snapshot)
		if n := len(w.pages) - 1; n >= 0 && w.pages[n].Title == "" {
			w.retitle(n, w.dom.title())
		}
	case e.Mutation != nil:
		w.dom.apply(e.Mutation)
	case e.Page != nil:
		w.navigate(e)
	case e.Error != nil:
		if e.Error.Kind != "console.warn" {
			w.errors++
			w.addText(e.Error.Message)
		}
	case e.Request != nil:
		if requestFailed(e.Request) {
			w.failedRequests++
		}
	case e.Identify != nil:
		w.identify(e.Identify)
	case e.Track != nil && e.Track.Name != "":
		w.track(e)
	case e.Shown != nil:
		w.show(e)
	case e.Device != nil && e.Device.Viewport.W > 0:
		w.width, w.height = int(e.Device.Viewport.W), int(e.Device.Viewport.H)
	case e.Type == typeIncremental && e.Source == sourceViewportResize && e.Width > 0:
		w.width, w.height = e.Width, e.Height
	}
	if e.isClick() {
		w.clicks++
		// The click's text is that of the element clicked, which is the
		// target's unless the target is an interactive ancestor.
		if t := w.clickTarget(e); w.dom.elementOf(t.id) == w.dom.elementOf(e.ID) {
			w.addText(t.text)
		} else {
			w.addText(w.dom.text(e.ID))
		}
	}
	if e.isInput() {
		if w.lastInput != 0 {
			if gap := e.Timestamp - w.lastInput; gap > 0 && gap <= w.cfg.Idle.Milliseconds() {
				w.activeMS += gap
			}
		}
		w.lastInput = max(w.lastInput, e.Timestamp)
	}
}

// enter starts a new page of the window.
func (w *Window) enter(ts int64, url, title string) {
	w.url = url
	if len(w.pages) < maxPages {
		w.pages = append(w.pages, store.PageVisit{URL: url, Title: title, Start: time.UnixMilli(ts)})
	}
	w.addText(title)
}

// navigate takes a playhead/page event: a page load (which follows the
// load's Meta event and brings its title) or a navigation within the page.
func (w *Window) navigate(e *Event) {
	p := e.Page
	current := len(w.pages) - 1
	switch {
	case p.Nav == "replace" && current >= 0:
		w.url = p.URL
		w.pages[current].URL = p.URL
		w.retitle(current, p.Title)
	case p.Nav == "load" && current >= 0 && samePage(w.pages[current].URL, p.URL):
		// The recorder strips URLs it reports; the Meta event may not be.
		w.url = p.URL
		w.pages[current].URL = p.URL
		w.retitle(current, p.Title)
	default:
		w.enter(e.Timestamp, p.URL, p.Title)
	}
}

func (w *Window) retitle(i int, title string) {
	if title != "" {
		w.pages[i].Title = title
		w.addText(title)
	}
}

// samePage compares URLs without their query and fragment.
func samePage(a, b string) bool {
	cut := func(s string) string {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			return s[:i]
		}
		return s
	}
	return cut(a) == cut(b)
}

func (w *Window) identify(id *IdentifyPayload) {
	w.user = bound(id.User)
	if len(id.Traits) == 0 {
		return
	}
	if w.traits == nil {
		w.traits = map[string]string{}
	}
	for k, v := range id.Traits {
		if _, ok := w.traits[k]; !ok && len(w.traits) >= maxTraits {
			continue
		}
		w.traits[bound(k)] = bound(fmt.Sprint(v))
	}
}

func (w *Window) track(e *Event) {
	name := bound(e.Track.Name)
	for _, c := range w.customEvents {
		if c.Name == name {
			return
		}
	}
	if len(w.customEvents) < maxCustomEvents {
		w.customEvents = append(w.customEvents, store.CustomEvent{Name: name, Time: time.UnixMilli(e.Timestamp)})
	}
}

// show records the tab turned to or away from; the same state twice in a
// row is once.
func (w *Window) show(e *Event) {
	n := len(w.shown)
	if n > 0 && w.shown[n-1].Visible == e.Shown.Visible || n >= store.MaxShown {
		return
	}
	w.shown = append(w.shown, store.Visibility{Time: time.UnixMilli(e.Timestamp), Visible: e.Shown.Visible})
}

func (w *Window) addText(s string) {
	s = bound(strings.TrimSpace(s))
	if s == "" || w.seenText[s] || len(w.texts) >= maxTexts {
		return
	}
	w.seenText[s] = true
	w.texts = append(w.texts, s)
}

// emit records a signal that is final.
func (w *Window) emit(s store.Signal) {
	if len(w.signals) < maxSignals {
		w.signals = append(w.signals, w.complete(s))
	}
}

// complete fills in what every signal carries.
func (w *Window) complete(s store.Signal) store.Signal {
	s.Window = w.id
	if s.URL == "" {
		s.URL = w.url
	}
	if s.Count == 0 {
		s.Count = 1
	}
	return s
}

// Size is about how many bytes the analysis holds, for a cache to bound
// how many it keeps.
func (w *Window) Size() int {
	return 1024 + 160*len(w.dom.nodes) + 256*(len(w.signals)+len(w.pages)+len(w.texts)) + 32*len(w.shown)
}

// Analysis is the window's analysis so far, as if its events ended with
// the latest one: signals still pending are included.
func (w *Window) Analysis() *store.WindowAnalysis {
	a := &store.WindowAnalysis{
		ActiveMS:       w.activeMS,
		Clicks:         w.clicks,
		Errors:         w.errors,
		FailedRequests: w.failedRequests,
		ViewportWidth:  w.width,
		ViewportHeight: w.height,
		UserID:         w.user,
		Signals:        append([]store.Signal(nil), w.signals...),
		Text:           append([]string(nil), w.texts...),
		CustomEvents:   append([]store.CustomEvent(nil), w.customEvents...),
		Shown:          append([]store.Visibility(nil), w.shown...),
	}
	if len(w.traits) > 0 {
		a.Traits = make(map[string]string, len(w.traits))
		for k, v := range w.traits {
			a.Traits[k] = v
		}
	}
	for _, d := range w.detectors {
		d.pending(w, func(s store.Signal) {
			if len(a.Signals) < maxSignals {
				a.Signals = append(a.Signals, w.complete(s))
			}
		})
	}
	sort.SliceStable(a.Signals, func(i, j int) bool { return a.Signals[i].Time.Before(a.Signals[j].Time) })
	a.Pages = append([]store.PageVisit(nil), w.pages...)
	for i := range a.Pages {
		end := time.UnixMilli(w.last)
		if i+1 < len(a.Pages) {
			end = a.Pages[i+1].Start
		}
		a.Pages[i].Duration = max(0, end.Sub(a.Pages[i].Start))
	}
	if n := len(a.Pages); n > 0 {
		a.ExitURL, a.ExitAt = a.Pages[n-1].URL, a.Pages[n-1].Start
	}
	return a
}

func requestFailed(r *RequestPayload) bool {
	return r.Status >= 400 || (r.Failure != "" && r.Failure != "abort" && r.Failure != "http")
}
