// Package synth generates rrweb recordings that look like real ones, for
// benchmarks of storage and replay: a visitor browsing a shop, a new page
// of 2,000–4,000 nodes every three minutes or so, DOM mutations, mouse
// moves and clicks, scrolling and typing; about 200 KB of JSON per minute.
// The same seed gives the same recording.
package synth

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Window generates minutes of one window's recording starting at start
// (ms since the epoch) and calls fn with each batch of events, one batch
// per five seconds of recording, as the recorder would post them.
func Window(seed uint64, minutes int, start int64, fn func(events []json.RawMessage) error) error {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x5e55)), now: start}
	end := start + int64(minutes)*60_000
	nextPage := start
	var batch []json.RawMessage
	flushAt := start + 5000
	for g.now < end {
		if g.now >= nextPage {
			// A page load starts a new recorder, and so a new batch.
			if len(batch) > 0 {
				if err := fn(batch); err != nil {
					return err
				}
				batch, flushAt = nil, g.now+5000
			}
			batch = append(batch, g.page()...)
			nextPage = g.now + 150_000 + g.rng.Int64N(60_000)
		}
		batch = append(batch, g.activity()...)
		g.now += 100 + g.rng.Int64N(400)
		if g.now >= flushAt {
			if err := fn(batch); err != nil {
				return err
			}
			batch, flushAt = nil, g.now+5000
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

type gen struct {
	rng    *rand.Rand
	words  uint64 // if not 0, the seed of the words of text, apart from the structure
	now    int64
	nextID int
	nodes  []int // ids of element nodes of the page, to mutate and click
	pages  int
	seen   [][2]int // template and item of the pages visited
	hover  int      // the node under the mouse
	x, y   int
	scroll int
}

var words = func() []string {
	base := strings.Fields(`shop cart checkout price sale new colour size linen cotton wool shirt dress jacket
		coat shoes boots bag belt scarf hat summer winter autumn spring collection free delivery returns
		order track account sign in out search filter sort popular newest lowest highest rating review
		stars add to basket wishlist quantity total subtotal tax shipping express standard gift card
		voucher code apply remove continue back home about contact help faq terms privacy cookies
		accept decline subscribe newsletter email address street city postcode country phone name`)
	var out []string
	for i, w := range base {
		out = append(out, w)
		// Product names and SKUs: many distinct, rarely repeated words.
		out = append(out, fmt.Sprintf("%s-%03d", w, i*37%997))
	}
	return out
}()

var classes = strings.Fields(`container row col card card-body card-title btn btn-primary btn-link nav nav-item
	price badge grid grid-item product product-image product-title product-price footer header menu
	list list-item input form-group label hero banner text-muted small lead`)

func (g *gen) text(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		w := g.rng.IntN(len(words))
		if g.words != 0 {
			g.words = g.words*6364136223846793005 + 1442695040888963407
			w = int(g.words>>33) % len(words)
		}
		b.WriteString(words[w])
	}
	return b.String()
}

func (g *gen) id() int { g.nextID++; return g.nextID }

// element serializes an element with children as rrweb does, up to
// budget nodes in all.
func (g *gen) element(b *strings.Builder, depth int, budget *int) {
	id := g.id()
	*budget--
	tags := []string{"div", "div", "section", "ul", "li", "a", "span", "p", "img", "button", "h2"}
	tag := tags[g.rng.IntN(len(tags))]
	g.nodes = append(g.nodes, id)
	fmt.Fprintf(b, `{"type":2,"tagName":%q,"attributes":{"class":%q`, tag, classes[g.rng.IntN(len(classes))]+" "+classes[g.rng.IntN(len(classes))])
	switch tag {
	case "a":
		fmt.Fprintf(b, `,"href":"/shop/%s"`, words[g.rng.IntN(len(words))])
	case "img":
		fmt.Fprintf(b, `,"src":"https://cdn.shop.example/img/%08x.jpg","alt":%q`, g.rng.Uint32(), g.text(2))
	}
	b.WriteString(`},"childNodes":[`)
	kids := 0
	if depth < 7 && tag != "img" {
		kids = g.rng.IntN(6)
	}
	n := 0
	for i := 0; i < kids && *budget > 0; i++ {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		if g.rng.IntN(3) == 0 || depth >= 6 {
			*budget--
			fmt.Fprintf(b, `{"type":3,"textContent":%q,"id":%d}`, g.text(1+g.rng.IntN(6)), g.id())
		} else {
			g.element(b, depth+1, budget)
		}
	}
	fmt.Fprintf(b, `],"id":%d}`, id)
}

func (g *gen) event(typ int, data string) json.RawMessage {
	return json.RawMessage(`{"type":` + strconv.Itoa(typ) + `,"data":` + data + `,"timestamp":` + strconv.FormatInt(g.now, 10) + `}`)
}

// The site: every page has the same header and footer, and is one of a
// few templates filled with one of a few dozen products or categories, so
// that pages come back as visitors go back and forth, as on a real shop.
const (
	templates = 6
	items     = 40
)

// page is a page load: Meta and a full snapshot of 2,000–4,000 nodes.
func (g *gen) page() []json.RawMessage {
	g.pages++
	tmpl, item := g.rng.IntN(templates), g.rng.IntN(items)
	// Visitors go back to pages they have seen half of the time.
	if len(g.seen) > 0 && g.rng.IntN(2) == 0 {
		p := g.seen[g.rng.IntN(len(g.seen))]
		tmpl, item = p[0], p[1]
	}
	g.seen = append(g.seen, [2]int{tmpl, item})
	// The page's own content is the same whenever it is visited: it is
	// made from a generator seeded with what it shows.
	site := &gen{rng: rand.New(rand.NewPCG(1, 1)), nextID: 7}
	page := &gen{rng: rand.New(rand.NewPCG(uint64(tmpl), uint64(item)))}
	var b strings.Builder
	b.WriteString(`{"node":{"type":0,"childNodes":[{"type":1,"name":"html","publicId":"","systemId":"","id":1},{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"title","attributes":{},"childNodes":[{"type":3,"textContent":`)
	fmt.Fprintf(&b, `%q,"id":4}],"id":3}],"id":2},{"type":2,"tagName":"body","attributes":{},"childNodes":[`, page.text(4))
	header := 300
	site.element(&b, 0, &header)
	page.nextID = site.nextID
	budget := 1600 + page.rng.IntN(1800)
	card := &gen{rng: rand.New(rand.NewPCG(uint64(tmpl), 99))}
	for budget > 0 {
		b.WriteByte(',')
		// Listings repeat one card's structure with other products.
		if tmpl < 3 && page.rng.IntN(2) == 0 {
			card.rng = rand.New(rand.NewPCG(uint64(tmpl), 99))
			card.nextID, card.nodes = page.nextID, nil
			n := 40
			card.words = page.rng.Uint64()
			card.element(&b, 2, &n)
			page.nextID = card.nextID
			page.nodes = append(page.nodes, card.nodes...)
			budget -= 40 - n
			continue
		}
		page.element(&b, 0, &budget)
	}
	footer := 200
	site.rng = rand.New(rand.NewPCG(1, 2))
	site.nextID = page.nextID
	b.WriteByte(',')
	site.element(&b, 0, &footer)
	fmt.Fprintf(&b, `],"id":5}],"id":6}],"id":7},"initialOffset":{"left":0,"top":0}}`)
	g.nextID, g.nodes, g.hover = site.nextID, append(page.nodes, site.nodes...), 0
	href := fmt.Sprintf(`{"href":"https://shop.example/t%d/%s","width":1280,"height":800}`, tmpl, words[item])
	out := []json.RawMessage{g.event(4, href), g.event(2, b.String())}
	g.now++
	return out
}

// activity is what happens in a few hundred milliseconds of a visit.
func (g *gen) activity() []json.RawMessage {
	var out []json.RawMessage
	switch r := g.rng.IntN(100); {
	case r < 45: // mouse moves, sampled as rrweb does
		var b strings.Builder
		b.WriteString(`{"source":1,"positions":[`)
		for i := range 8 {
			if i > 0 {
				b.WriteByte(',')
			}
			g.x = max(0, min(1279, g.x+g.rng.IntN(81)-40))
			g.y = max(0, min(799, g.y+g.rng.IntN(61)-30))
			// The node under the mouse changes now and then.
			if g.hover == 0 || g.rng.IntN(4) == 0 {
				g.hover = g.node()
			}
			fmt.Fprintf(&b, `{"x":%d,"y":%d,"id":%d,"timeOffset":%d}`, g.x, g.y, g.hover, -50*(8-i))
		}
		b.WriteString(`]}`)
		out = append(out, g.event(3, b.String()))
	case r < 75: // DOM mutations: the page's widgets come and go, prices and classes change
		var b strings.Builder
		b.WriteString(`{"source":0,"texts":[`)
		if g.rng.IntN(2) == 0 {
			fmt.Fprintf(&b, `{"id":%d,"value":"£%d.%02d"}`, g.node(), 5+g.rng.IntN(200), g.rng.IntN(100))
		}
		fmt.Fprintf(&b, `],"attributes":[{"id":%d,"attributes":{"class":%q}}],"removes":[`, g.node(), []string{"open", "closed", "active", "hidden", "loading"}[g.rng.IntN(5)])
		if g.rng.IntN(3) == 0 {
			fmt.Fprintf(&b, `{"parentId":%d,"id":%d}`, g.node(), g.node())
		}
		fmt.Fprintf(&b, `],"adds":[{"parentId":%d,"nextId":null,"node":`, g.node())
		// One of the page's widgets (a toast, a dropdown, a slide…):
		// the same structure each time, with new ids and other words.
		w := &gen{rng: rand.New(rand.NewPCG(uint64(g.pages), uint64(g.rng.IntN(8)))), nextID: g.nextID, words: g.rng.Uint64() | 1}
		budget := 5 + w.rng.IntN(25)
		w.element(&b, 3, &budget)
		g.nextID = w.nextID
		g.nodes = append(g.nodes, w.nodes...)
		b.WriteString(`}]}`)
		out = append(out, g.event(3, b.String()))
	case r < 88: // scroll
		g.scroll = max(0, g.scroll+g.rng.IntN(400)-150)
		out = append(out, g.event(3, fmt.Sprintf(`{"source":3,"id":1,"x":0,"y":%d}`, g.scroll)))
	case r < 96: // typing
		out = append(out, g.event(3, fmt.Sprintf(`{"source":5,"text":%q,"isChecked":false,"id":%d}`, g.text(1+g.rng.IntN(3)), g.node())))
	default: // a click
		id := g.node()
		out = append(out,
			g.event(3, fmt.Sprintf(`{"source":2,"type":1,"id":%d,"x":%d,"y":%d}`, id, g.x, g.y)),
			g.event(3, fmt.Sprintf(`{"source":2,"type":2,"id":%d,"x":%d,"y":%d}`, id, g.x, g.y)))
	}
	return out
}

func (g *gen) node() int {
	if len(g.nodes) == 0 {
		return 1
	}
	return g.nodes[g.rng.IntN(len(g.nodes))]
}
