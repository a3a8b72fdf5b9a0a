package signals

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// page is the document of the hand-made streams: a dead "Buy" button, a
// stepper that counts, a sign-up form, a paragraph, a link to another tab.
const page = `{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
 {"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[
  {"type":2,"id":5,"tagName":"title","attributes":{},"childNodes":[{"type":3,"id":6,"textContent":"Shop · Home"}]}]},
 {"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[
  {"type":2,"id":10,"tagName":"button","attributes":{"id":"buy","class":"btn primary"},"childNodes":[{"type":3,"id":11,"textContent":"Buy now"}]},
  {"type":2,"id":19,"tagName":"div","attributes":{"class":"stepper"},"childNodes":[
   {"type":2,"id":20,"tagName":"button","attributes":{"class":"plus"},"childNodes":[{"type":3,"id":21,"textContent":"+"}]},
   {"type":2,"id":22,"tagName":"span","attributes":{"id":"count"},"childNodes":[{"type":3,"id":23,"textContent":"1"}]}]},
  {"type":2,"id":30,"tagName":"form","attributes":{"id":"signup"},"childNodes":[
   {"type":2,"id":31,"tagName":"input","attributes":{"type":"email"},"childNodes":[]},
   {"type":2,"id":32,"tagName":"button","attributes":{"type":"submit"},"childNodes":[{"type":3,"id":33,"textContent":"Sign up"}]}]},
  {"type":2,"id":40,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":41,"textContent":"Some text to select"}]},
  {"type":2,"id":50,"tagName":"a","attributes":{"href":"https://elsewhere.example/","target":"_blank"},"childNodes":[{"type":3,"id":51,"textContent":"Docs"}]}
 ]}]}]}`

const t0 = 1795000000000

// rec builds a stream of rrweb events as JSON, as a recorder sends them.
type rec struct {
	events []string
}

func (r *rec) add(ts int64, typ int, data string) *rec {
	r.events = append(r.events, fmt.Sprintf(`{"type":%d,"data":%s,"timestamp":%d}`, typ, data, t0+ts))
	return r
}

// open loads url at ts: a Meta event and the page's FullSnapshot.
func (r *rec) open(ts int64, url string) *rec {
	r.add(ts, typeMeta, fmt.Sprintf(`{"href":%q,"width":1280,"height":800}`, url))
	return r.add(ts+1, typeFullSnapshot, `{"node":`+page+`,"initialOffset":{"left":0,"top":0}}`)
}

func (r *rec) click(ts int64, id int, x, y float64) *rec {
	return r.add(ts, typeIncremental, fmt.Sprintf(`{"source":2,"type":2,"id":%d,"x":%g,"y":%g}`, id, x, y))
}

// text changes a text node: the page answering.
func (r *rec) text(ts int64, id int, value string) *rec {
	return r.add(ts, typeIncremental, fmt.Sprintf(`{"source":0,"texts":[{"id":%d,"value":%q}],"attributes":[],"removes":[],"adds":[]}`, id, value))
}

func (r *rec) input(ts int64, id int) *rec {
	return r.add(ts, typeIncremental, fmt.Sprintf(`{"source":5,"id":%d,"text":"*****","isChecked":false}`, id))
}

func (r *rec) scroll(ts int64, y float64) *rec {
	return r.add(ts, typeIncremental, fmt.Sprintf(`{"source":3,"id":1,"x":0,"y":%g}`, y))
}

func (r *rec) selection(ts int64) *rec {
	return r.add(ts, typeIncremental, `{"source":14,"ranges":[{"start":41,"startOffset":0,"end":41,"endOffset":4}]}`)
}

// moves samples the mouse at the given x every step ms, from ts.
func (r *rec) moves(ts, step int64, xs ...float64) *rec {
	var ps []string
	for i, x := range xs {
		ps = append(ps, fmt.Sprintf(`{"x":%g,"y":300,"id":3,"timeOffset":%d}`, x, int64(i)*step-int64(len(xs)-1)*step))
	}
	return r.add(ts+int64(len(xs)-1)*step, typeIncremental, `{"source":1,"positions":[`+strings.Join(ps, ",")+`]}`)
}

func (r *rec) custom(ts int64, tag, payload string) *rec {
	return r.add(ts, typeCustom, fmt.Sprintf(`{"tag":%q,"payload":%s}`, tag, payload))
}

func (r *rec) analyse(t *testing.T) *store.WindowAnalysis {
	t.Helper()
	events, err := ParseEvents([]byte("[" + strings.Join(r.events, ",") + "]"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewWindow("w1", DefaultConfig)
	w.Feed(events)
	return w.Analysis()
}

// kinds lists the signals by kind, with counts where above one.
func kinds(a *store.WindowAnalysis) string {
	var out []string
	for _, s := range a.Signals {
		k := s.Kind
		if s.Count > 1 {
			k += fmt.Sprintf("×%d", s.Count)
		}
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

func TestDetectors(t *testing.T) {
	const shop = "https://shop.example/"
	for _, tt := range []struct {
		name string
		r    *rec
		want string
	}{
		{"quiet visit", new(rec).open(0, shop).click(1000, 11, 100, 100).text(1200, 11, "Added"), ""},
		{"a dead Buy button clicked 4 times is a rage and a dead click",
			new(rec).open(0, shop).click(1000, 11, 100, 100).click(1300, 11, 102, 101).click(1600, 10, 101, 99).click(1900, 11, 100, 100).
				moves(5000, 50, 100, 101),
			"rage_click×4 dead_click×4"},
		{"a stepper clicked 5 times in 2 s that counts is neither",
			new(rec).open(0, shop).
				click(1000, 21, 300, 200).text(1050, 23, "2").click(1400, 21, 300, 200).text(1450, 23, "3").
				click(1800, 21, 301, 200).text(1850, 23, "4").click(2200, 21, 300, 201).text(2250, 23, "5").
				click(2600, 21, 300, 200).text(2650, 23, "6").moves(6000, 50, 300, 301),
			""},
		{"a triple click that selects text is no rage click",
			new(rec).open(0, shop).click(1000, 41, 50, 400).click(1150, 41, 50, 400).click(1300, 41, 50, 400).selection(1310),
			""},
		{"clicks far apart are no burst",
			new(rec).open(0, shop).click(1000, 41, 50, 400).click(1500, 41, 300, 400).click(2000, 41, 50, 700),
			""},
		{"a dead click answered late is still dead",
			new(rec).open(0, shop).click(1000, 11, 100, 100).text(4000, 11, "Too late"),
			"dead_click"},
		{"a click on a link to another tab is not dead",
			new(rec).open(0, shop).click(1000, 51, 10, 10).moves(5000, 50, 10, 11),
			""},
		{"a click on plain text is not dead",
			new(rec).open(0, shop).click(1000, 41, 10, 10).moves(5000, 50, 10, 11),
			""},
		{"a request answers a click",
			new(rec).open(0, shop).click(1000, 11, 100, 100).custom(1100, "playhead/request", `{"initiator":"fetch","method":"POST","url":"/cart","status":200,"duration":80}`),
			""},
		{"an error right after a click",
			new(rec).open(0, shop).click(1000, 11, 100, 100).custom(1400, "playhead/error", `{"kind":"error","message":"TypeError: cart is undefined"}`).text(1500, 11, "x"),
			"error_click js_error"},
		{"an error long after a click is only a JS error",
			new(rec).open(0, shop).click(1000, 11, 100, 100).text(1100, 11, "x").custom(3000, "playhead/error", `{"kind":"error","message":"boom"}`),
			"js_error"},
		{"console warnings are no errors",
			new(rec).open(0, shop).custom(1000, "playhead/error", `{"kind":"console.warn","message":"deprecated"}`),
			""},
		{"failed and slow requests; an abort is neither",
			new(rec).open(0, shop).
				custom(1000, "playhead/request", `{"initiator":"fetch","method":"GET","url":"/api/cart","status":500,"duration":120}`).
				custom(2000, "playhead/request", `{"initiator":"xhr","method":"GET","url":"/api/stock","status":0,"duration":30,"failure":"network"}`).
				custom(3000, "playhead/request", `{"initiator":"fetch","method":"GET","url":"/api/slow","status":200,"duration":4500}`).
				custom(4000, "playhead/request", `{"initiator":"fetch","method":"GET","url":"/api/gone","status":0,"duration":10,"failure":"abort"}`).
				custom(5000, "playhead/request", `{"initiator":"resource","method":"GET","url":"/img/a.png","status":404,"duration":10}`),
			"failed_request failed_request slow_request failed_request"},
		{"a poor LCP makes a slow page once",
			new(rec).open(0, shop).custom(5000, "playhead/vital", `{"name":"LCP","value":5200,"rating":"poor"}`).
				custom(6000, "playhead/vital", `{"name":"INP","value":800,"rating":"poor"}`),
			"slow_page"},
		{"good vitals are no slow page",
			new(rec).open(0, shop).custom(2000, "playhead/vital", `{"name":"LCP","value":1200}`).custom(3000, "playhead/vital", `{"name":"INP","value":120}`),
			""},
		{"a shaken cursor thrashes",
			new(rec).open(0, shop).moves(1000, 60, 100, 200, 100, 200, 100, 200, 100, 200, 100, 200),
			"thrashing_cursor×6"},
		{"a cursor crossing the page does not",
			new(rec).open(0, shop).moves(1000, 60, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000),
			""},
		{"a slow back and forth does not",
			new(rec).open(0, shop).moves(1000, 600, 100, 200, 100, 200, 100, 200, 100, 200),
			""},
		{"scrolling up and down a long way is excessive",
			new(rec).open(0, shop).scroll(1000, 0).scroll(1500, 1500).scroll(2000, 200).scroll(2500, 1700).scroll(3000, 300).scroll(3500, 1800).scroll(4000, 100),
			"excessive_scroll×4"},
		{"reading down a page is not",
			new(rec).open(0, shop).scroll(1000, 0).scroll(3000, 800).scroll(6000, 1600).scroll(9000, 2400).scroll(9500, 2200).scroll(12000, 3000),
			""},
		{"back within seconds is a quick back",
			new(rec).open(0, shop).open(5000, shop+"shoes").open(8000, shop),
			"quick_back"},
		{"back after a read is not",
			new(rec).open(0, shop).open(5000, shop+"shoes").open(60000, shop),
			""},
		{"typing into a form and leaving the page abandons it",
			new(rec).open(0, shop).input(1000, 31).input(1500, 31).moves(9000, 50, 1, 2).open(10000, shop+"other"),
			"form_abandon"},
		{"sending the form is no abandonment",
			new(rec).open(0, shop).input(1000, 31).click(3000, 33, 5, 5).open(3500, shop+"thanks"),
			""},
		{"a form sent with Enter is no abandonment",
			new(rec).open(0, shop).input(1000, 31).input(1200, 31).open(1800, shop+"thanks"),
			""},
		{"a click into a field is never dead",
			// Focused on mousedown, typed into, left: the value comes
			// as it loses focus, seconds later.
			new(rec).open(0, shop).click(1000, 31, 5, 5).input(9000, 31),
			"form_abandon"},
		{"a link clicked right after typing abandons the form",
			// The field's value is recorded as it loses focus, just ahead
			// of the click.
			new(rec).open(0, shop).input(1000, 31).click(1010, 51, 5, 5).open(1200, shop+"other"),
			"form_abandon"},
		{"Enter after clicking back into the field is no abandonment",
			new(rec).open(0, shop).input(1000, 31).click(1010, 41, 5, 5).click(1500, 31, 5, 5).open(1800, shop+"thanks"),
			""},
		{"a form sent after three minutes is slow",
			new(rec).open(0, shop).input(1000, 31).input(170000, 31).click(181000, 32, 5, 5).open(181500, shop+"thanks"),
			"inactivity slow_form"},
		{"a minute without input is long inactivity",
			new(rec).open(0, shop).moves(1000, 50, 1, 2).moves(65000, 50, 3, 4),
			"inactivity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.r.analyse(t)
			if got := kinds(a); got != tt.want {
				t.Errorf("signals %q, want %q\n%s", got, tt.want, dump(a.Signals))
			}
		})
	}
}

func dump(ss []store.Signal) string {
	b, _ := json.MarshalIndent(ss, "", " ")
	return string(b)
}

// Signals name their element and page.
func TestSignalElement(t *testing.T) {
	a := new(rec).open(0, "https://shop.example/").click(1000, 11, 100, 100).click(1300, 11, 100, 100).click(1600, 11, 100, 100).analyse(t)
	if len(a.Signals) == 0 {
		t.Fatal("no signals")
	}
	s := a.Signals[0]
	if s.Kind != store.SignalRageClick || s.Selector != "button#buy" || s.Text != "Buy now" ||
		s.URL != "https://shop.example/" || s.Window != "w1" || !s.Time.Equal(time.UnixMilli(t0+1000)) {
		t.Errorf("rage click = %+v", s)
	}
	a = new(rec).open(0, "https://shop.example/").click(1000, 21, 1, 1).analyse(t)
	if s := a.Signals[0]; s.Selector != "div.stepper > button.plus" || s.Text != "+" {
		t.Errorf("dead click on the stepper = %+v", s)
	}
}

func TestFacts(t *testing.T) {
	r := new(rec).open(0, "https://shop.example/").
		custom(3, "playhead/identify", `{"user":"u-42","traits":{"plan":"pro","seats":3}}`).
		click(1000, 11, 100, 100).text(1100, 11, "Added").
		moves(2000, 50, 1, 2, 3).
		custom(2500, "playhead/track", `{"name":"added_to_cart"}`).
		custom(3000, "playhead/page", `{"url":"https://shop.example/cart","title":"Cart","nav":"push"}`).
		custom(3500, "playhead/track", `{"name":"added_to_cart"}`).
		custom(4000, "playhead/error", `{"kind":"rejection","message":"quota exceeded"}`).
		custom(5000, "playhead/visibility", `{"visible":false}`).
		custom(5001, "playhead/visibility", `{"visible":false}`).
		custom(9000, "playhead/visibility", `{"visible":true}`).
		moves(20000, 50, 5, 6)
	a := r.analyse(t)
	if a.Clicks != 1 || a.Errors != 1 || a.UserID != "u-42" || a.Traits["plan"] != "pro" || a.Traits["seats"] != "3" ||
		a.ViewportWidth != 1280 || a.ViewportHeight != 800 {
		t.Errorf("facts = %+v", a)
	}
	// Input at 1000, 2100 and 20050 (moves are stamped with their last
	// sample): the 18 s gap is idle.
	if a.ActiveMS != 1100 {
		t.Errorf("active %d ms, want 1100", a.ActiveMS)
	}
	if len(a.Pages) != 2 || a.Pages[0].Title != "Shop · Home" || a.Pages[0].Duration != 3*time.Second ||
		a.Pages[1].URL != "https://shop.example/cart" || a.Pages[1].Duration != 17050*time.Millisecond || a.ExitURL != "https://shop.example/cart" {
		t.Errorf("pages = %+v, exit %s", a.Pages, a.ExitURL)
	}
	if len(a.CustomEvents) != 1 || a.CustomEvents[0].Name != "added_to_cart" || !a.CustomEvents[0].Time.Equal(time.UnixMilli(t0+2500)) {
		t.Errorf("custom events = %+v", a.CustomEvents)
	}
	// Hidden twice in a row is hidden once.
	if want := []store.Visibility{{Time: time.UnixMilli(t0 + 5000)}, {Time: time.UnixMilli(t0 + 9000), Visible: true}}; !slices.Equal(a.Shown, want) {
		t.Errorf("shown = %+v, want %+v", a.Shown, want)
	}
	for _, want := range []string{"Shop · Home", "Cart", "Buy now", "quota exceeded"} {
		if !strings.Contains(strings.Join(a.Text, "|"), want) {
			t.Errorf("text %q lacks %q", a.Text, want)
		}
	}
}

// Folding a window in one go or batch by batch gives the same analysis:
// the processor may do either.
func TestFoldIsDeterministic(t *testing.T) {
	r := new(rec).open(0, "https://shop.example/").click(1000, 11, 100, 100).click(1300, 11, 100, 100).
		click(1600, 11, 100, 100).input(2000, 31).custom(2100, "playhead/error", `{"kind":"error","message":"x"}`).
		open(5000, "https://shop.example/b").open(7000, "https://shop.example/").moves(9000, 60, 100, 200, 100, 200, 100, 200, 100, 200)
	events, err := ParseEvents([]byte("[" + strings.Join(r.events, ",") + "]"))
	if err != nil {
		t.Fatal(err)
	}
	whole := NewWindow("w1", DefaultConfig)
	whole.Feed(events)
	want, _ := json.Marshal(whole.Analysis())
	for size := 1; size <= 5; size++ {
		w := NewWindow("w1", DefaultConfig)
		for i := 0; i < len(events); i += size {
			w.Feed(events[i:min(i+size, len(events))])
			w.Analysis() // reading in between changes nothing
		}
		if got, _ := json.Marshal(w.Analysis()); string(got) != string(want) {
			t.Errorf("in batches of %d:\n got %s\nwant %s", size, got, want)
		}
	}
}
