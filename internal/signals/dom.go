package signals

import "strings"

// node is rrweb's serialized DOM node (rrweb-snapshot), as a FullSnapshot
// and a mutation's adds carry it, with what the mirror keeps of it.
type node struct {
	Type       int
	ID         int
	Tag        string // tagName, lower case
	Attrs      attrs
	ChildNodes []*node
	Text       string // textContent, bounded
}

// rrweb's serialized node types.
const (
	nodeDocument = 0
	nodeElement  = 2
	nodeText     = 3
)

type mutation struct {
	Texts      []textChange
	Attributes []attrChange
	Removes    []removal
	Adds       []addition
}

type (
	textChange struct {
		ID    int
		Value string // bounded
		Set   bool   // null or no value leaves the text as it is
	}
	attrChange struct {
		ID    int
		Attrs attrs
	}
	removal struct {
		ParentID int
		ID       int
	}
	addition struct {
		ParentID int
		Node     *node
	}
)

// maxNodes bounds the mirror of one page: past it new nodes are not
// tracked, and clicks on them are reported without their element.
const maxNodes = 100_000

// maxText bounds the text kept of one text node and of an element.
const maxText = 120

// element is what the mirror keeps of a DOM node: enough to name an
// element and tell whether it looks clickable.
type element struct {
	tag      string // lower case; "" for a text node, "#document" for the root
	parent   int
	children []int
	text     string // a text node's text
	attrValues
}

// dom mirrors the page as the recording builds it, by node id.
type dom struct {
	nodes map[int]*element
}

func newDOM() *dom { return &dom{nodes: map[int]*element{}} }

// reset starts a new page from a FullSnapshot.
func (d *dom) reset(root *node) {
	clear(d.nodes)
	d.add(root, 0)
}

func (d *dom) add(n *node, parent int) {
	if n == nil || len(d.nodes) >= maxNodes {
		return
	}
	el := &element{parent: parent}
	switch n.Type {
	case nodeDocument:
		el.tag = "#document"
	case nodeElement:
		el.tag = n.Tag
		el.attrValues = n.Attrs.attrValues
	case nodeText:
		el.text = n.Text
	default:
		return // doctype, comments, CDATA: never clicked, never shown
	}
	if old := d.nodes[n.ID]; old != nil {
		d.remove(n.ID)
	}
	d.nodes[n.ID] = el
	if p := d.nodes[parent]; p != nil {
		p.children = append(p.children, n.ID)
	}
	for _, c := range n.ChildNodes {
		d.add(c, n.ID)
	}
}

func (d *dom) remove(id int) {
	el := d.nodes[id]
	if el == nil {
		return
	}
	if p := d.nodes[el.parent]; p != nil {
		for i, c := range p.children {
			if c == id {
				p.children = append(p.children[:i], p.children[i+1:]...)
				break
			}
		}
	}
	// Iteratively, so that a deep tree cannot exhaust the stack.
	stack := []int{id}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if el := d.nodes[n]; el != nil {
			stack = append(stack, el.children...)
			delete(d.nodes, n)
		}
	}
}

func (d *dom) apply(m *mutation) {
	for _, r := range m.Removes {
		d.remove(r.ID)
	}
	for _, a := range m.Adds {
		d.add(a.Node, a.ParentID)
	}
	for _, t := range m.Texts {
		if el := d.nodes[t.ID]; el != nil && t.Set {
			el.text = t.Value
		}
	}
	for i := range m.Attributes {
		if el := d.nodes[m.Attributes[i].ID]; el != nil {
			el.update(&m.Attributes[i].Attrs)
		}
	}
}

func bound[S ~string | ~[]byte](s S) S {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut]
}

// elementOf returns the id of the element that id is or is in.
func (d *dom) elementOf(id int) int {
	for range 3 {
		el := d.nodes[id]
		if el == nil || el.tag != "" {
			return id
		}
		id = el.parent
	}
	return id
}

var interactiveTags = map[string]bool{
	"a": true, "button": true, "select": true, "textarea": true, "label": true,
	"summary": true, "option": true, "input": true,
}

var interactiveRoles = map[string]bool{
	"button": true, "link": true, "checkbox": true, "radio": true, "menuitem": true,
	"tab": true, "switch": true, "option": true, "combobox": true, "menuitemcheckbox": true,
	"menuitemradio": true, "treeitem": true,
}

// interactive returns the nearest element at or above id, up to a few
// levels, that looks like it does something when clicked: a link, a
// button, a form control, an element with a clickable role, an onclick
// attribute or a pointer cursor. ok is false when there is none.
func (d *dom) interactive(id int) (int, bool) {
	id = d.elementOf(id)
	for range 6 {
		el := d.nodes[id]
		if el == nil {
			return 0, false
		}
		if el.looksInteractive() {
			return id, true
		}
		id = el.parent
	}
	return 0, false
}

func (el *element) looksInteractive() bool {
	switch {
	case el.tag == "a":
		return el.href || el.onclick
	case el.tag == "input":
		return el.typ != "hidden"
	case interactiveTags[el.tag]:
		return true
	}
	return interactiveRoles[el.role] || el.onclick || el.pointer
}

// inForm returns the form that id is in, or 0.
func (d *dom) inForm(id int) int {
	for range 32 {
		el := d.nodes[id]
		if el == nil {
			return 0
		}
		if el.tag == "form" {
			return id
		}
		id = el.parent
	}
	return 0
}

// isSubmit tells whether clicking id submits its form.
func (d *dom) isSubmit(id int) bool {
	id, ok := d.interactive(id)
	if !ok {
		return false
	}
	el := d.nodes[id]
	return (el.tag == "button" && (el.typ == "" || el.typ == "submit")) ||
		(el.tag == "input" && (el.typ == "submit" || el.typ == "image"))
}

// isField tells whether id is a field one types into, where Enter sends
// the form.
func (d *dom) isField(id int) bool {
	el := d.nodes[d.elementOf(id)]
	if el == nil {
		return false
	}
	switch el.tag {
	case "textarea", "select":
		return true
	case "input":
		switch el.typ {
		case "submit", "button", "reset", "image", "hidden":
			return false
		}
		return true
	}
	return false
}

// selector names an element for people: its tag, id and first classes,
// under up to three ancestors, stopping at one with an id.
func (d *dom) selector(id int) string {
	id = d.elementOf(id)
	var parts []string
	for range 4 {
		el := d.nodes[id]
		if el == nil || el.tag == "" || el.tag == "#document" || el.tag == "html" || el.tag == "body" {
			break
		}
		part := el.tag
		if el.id != "" {
			part += "#" + cssIdent(el.id)
		} else {
			for i, c := range strings.Fields(el.classes) {
				if i == 2 {
					break
				}
				part += "." + cssIdent(c)
			}
		}
		parts = append(parts, part)
		if el.id != "" {
			break
		}
		id = el.parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " > ")
}

// cssIdent escapes what would end an identifier in a selector.
func cssIdent(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '>', '.', '#', ':', '[', ']', '(', ')', ',', '"', '\'':
			return '_'
		}
		return r
	}, s)
}

// text returns an element's visible text: its text nodes in order, spaces
// collapsed, bounded. Text masked in the recording comes masked.
func (d *dom) text(id int) string {
	var b strings.Builder
	// A budget of nodes, as the recording may make the tree anything,
	// cycles included.
	budget := 256
	var walk func(id, depth int)
	walk = func(id, depth int) {
		el := d.nodes[id]
		if el == nil || depth > 16 || budget <= 0 || b.Len() >= maxText || el.tag == "script" || el.tag == "style" {
			return
		}
		budget--
		if el.tag == "" {
			for f := range strings.FieldsSeq(el.text) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(f)
			}
			return
		}
		for _, c := range el.children {
			walk(c, depth+1)
		}
	}
	walk(d.elementOf(id), 0)
	return bound(b.String())
}

// title returns the text of the page's <title>, the one in its <head>
// (an <svg> has titles of its own).
func (d *dom) title() string {
	for _, root := range d.nodes {
		if root.tag != "#document" {
			continue
		}
		for _, h := range d.childrenTagged(root, "html") {
			for _, head := range d.childrenTagged(d.nodes[h], "head") {
				for _, t := range d.childrenTagged(d.nodes[head], "title") {
					return d.text(t)
				}
			}
		}
	}
	return ""
}

func (d *dom) childrenTagged(el *element, tag string) []int {
	var out []int
	for _, c := range el.children {
		if n := d.nodes[c]; n != nil && n.tag == tag {
			out = append(out, c)
		}
	}
	return out
}
