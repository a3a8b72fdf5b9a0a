package signals

import (
	"bytes"
	"strings"
)

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

// The attributes the mirror keeps, by their lower-case names.
const (
	attrID = iota
	attrClass
	attrRole
	attrType
	attrHref
	attrOnclick
	attrStyle
	attrContentEditable
	attrTarget
	nAttrs
)

var attrNames = [nAttrs]string{"id", "class", "role", "type", "href", "onclick", "style", "contenteditable", "target"}

// attrValues is what an element's attributes tell the mirror.
type attrValues struct {
	id       string
	classes  string
	role     string
	typ      string // the type attribute
	href     bool
	onclick  bool
	pointer  bool // an inline style with cursor: pointer
	editable bool // contenteditable
	blank    bool // target="_blank": opens another tab
}

// attrs is what a node's or a mutation's attributes set. Attributes that
// differ only in case (rrweb keeps names as the page wrote them) name the
// same one; of those, the name that sorts last applies, so that the
// result does not depend on the order of the JSON.
type attrs struct {
	attrValues
	named [nAttrs]uint8 // 0: not named; 1: by its lower-case name; 2: as in other
	other *[nAttrs]string
}

// offer tells whether the attribute named name (which lower-cases to
// attrNames[slot]) applies over what named it before, and notes it.
func (a *attrs) offer(slot int, name []byte) bool {
	var cur string
	switch a.named[slot] {
	case 1:
		cur = attrNames[slot]
	case 2:
		cur = a.other[slot]
	}
	if a.named[slot] != 0 && string(name) < cur {
		return false
	}
	if string(name) == attrNames[slot] {
		a.named[slot] = 1
		return true
	}
	if a.other == nil {
		a.other = new([nAttrs]string)
	}
	a.other[slot], a.named[slot] = string(name), 2
	return true
}

// set sets an attribute's value: a string's text, "" for null, the JSON
// of anything else (numbers and true are attributes too).
func (v *attrValues) set(slot int, value []byte) {
	switch slot {
	case attrID:
		v.id = string(bound(value))
	case attrClass:
		v.classes = string(bound(value))
	case attrRole:
		v.role = lower(value)
	case attrType:
		v.typ = lower(value)
	case attrHref:
		v.href = len(value) > 0
	case attrOnclick:
		v.onclick = len(value) > 0
	case attrStyle:
		v.pointer = pointerCursor(value)
	case attrContentEditable:
		v.editable = string(value) != "false"
	case attrTarget:
		v.blank = bytes.EqualFold(value, []byte("_blank"))
	}
}

// update sets what a mutation's attributes set.
func (v *attrValues) update(a *attrs) {
	for slot, named := range a.named {
		if named == 0 {
			continue
		}
		switch slot {
		case attrID:
			v.id = a.id
		case attrClass:
			v.classes = a.classes
		case attrRole:
			v.role = a.role
		case attrType:
			v.typ = a.typ
		case attrHref:
			v.href = a.href
		case attrOnclick:
			v.onclick = a.onclick
		case attrStyle:
			v.pointer = a.pointer
		case attrContentEditable:
			v.editable = a.editable
		case attrTarget:
			v.blank = a.blank
		}
	}
}

// pointerCursor tells whether an inline style sets cursor: pointer,
// spaces aside.
func pointerCursor(style []byte) bool {
	var small [256]byte
	compact := small[:0]
	for _, c := range style {
		if c != ' ' {
			compact = append(compact, c)
		}
	}
	return bytes.Contains(compact, []byte("cursor:pointer"))
}

// lower is strings.ToLower, without a copy to lower one for ASCII.
func lower(b []byte) string {
	for _, c := range b {
		if c >= 0x80 {
			return strings.ToLower(string(b))
		}
	}
	var small [32]byte
	out := small[:0]
	if len(b) > len(small) {
		out = make([]byte, 0, len(b))
	}
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return intern(out)
}

// intern returns the common tag names and types without allocating.
func intern(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case "div":
		return "div"
	case "span":
		return "span"
	case "a":
		return "a"
	case "p":
		return "p"
	case "li":
		return "li"
	case "ul":
		return "ul"
	case "img":
		return "img"
	case "button":
		return "button"
	case "input":
		return "input"
	case "svg":
		return "svg"
	case "path":
		return "path"
	case "script":
		return "script"
	case "style":
		return "style"
	case "link":
		return "link"
	case "meta":
		return "meta"
	case "head":
		return "head"
	case "body":
		return "body"
	case "html":
		return "html"
	case "title":
		return "title"
	case "section":
		return "section"
	case "header":
		return "header"
	case "footer":
		return "footer"
	case "nav":
		return "nav"
	case "main":
		return "main"
	case "form":
		return "form"
	case "label":
		return "label"
	case "select":
		return "select"
	case "option":
		return "option"
	case "textarea":
		return "textarea"
	case "h1":
		return "h1"
	case "h2":
		return "h2"
	case "h3":
		return "h3"
	case "i":
		return "i"
	case "b":
		return "b"
	case "strong":
		return "strong"
	case "em":
		return "em"
	case "table":
		return "table"
	case "tr":
		return "tr"
	case "td":
		return "td"
	case "th":
		return "th"
	case "text":
		return "text"
	case "submit":
		return "submit"
	case "checkbox":
		return "checkbox"
	}
	return string(b)
}

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
			for _, f := range strings.Fields(el.text) {
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
