package signals

import "strings"

var (
	nodeFields       = []string{"type", "id", "tagName", "attributes", "childNodes", "textContent"}
	textFields       = []string{"id", "value"}
	attrChangeFields = []string{"id", "attributes"}
	removalFields    = []string{"parentId", "id"}
	additionFields   = []string{"parentId", "node"}
)

// newNode cuts a node from the slab: a snapshot has thousands, a
// mutation a few.
func (r *reader) newNode() *node {
	if len(r.slab) == 0 {
		r.slabSize = min(max(2*r.slabSize, 4), 256)
		r.slab = make([]node, r.slabSize)
	}
	n := &r.slab[0]
	r.slab = r.slab[1:]
	return n
}

// nodePtr reads a node into *p, into the node already there if there is
// one; null sets it to nil.
func (r *reader) nodePtr(p **node) error {
	switch r.Peek() {
	case '{':
	case 'n':
		*p = nil
		return r.Literal("null")
	default:
		return r.mismatch()
	}
	if *p == nil {
		*p = r.newNode()
	}
	n := *p
	return r.object(nodeFields, func(f int) error {
		switch f {
		case 0:
			return r.int(&n.Type)
		case 1:
			return r.int(&n.ID)
		case 2:
			return r.tag(&n.Tag)
		case 3:
			return r.attrs(&n.Attrs)
		case 4:
			return r.children(&n.ChildNodes)
		}
		return r.boundedString(&n.Text)
	})
}

// children reads a node's children. Read for the first time, they are
// gathered on a stack and kept in a slice of their number.
func (r *reader) children(s *[]*node) error {
	if *s != nil || r.Peek() != '[' {
		return array(r, s, r.nodePtr)
	}
	if err := r.open(); err != nil {
		return err
	}
	base := len(r.stack)
	for more, err := r.next(']', true); ; more, err = r.next(']', false) {
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var c *node
		if err := r.nodePtr(&c); err != nil {
			return err
		}
		r.stack = append(r.stack, c)
	}
	*s = append([]*node{}, r.stack[base:]...)
	clear(r.stack[base:])
	r.stack = r.stack[:base]
	return nil
}

// tag reads a tag name, lower-cased.
func (r *reader) tag(p *string) error {
	t, ok, err := r.stringText()
	if ok {
		*p = lower(t)
	}
	return err
}

// attrs reads an object of attributes into a, adding to what it holds;
// null forgets them all.
func (r *reader) attrs(a *attrs) error {
	switch r.Peek() {
	case '{':
	case 'n':
		*a = attrs{}
		return r.Literal("null")
	default:
		return r.mismatch()
	}
	if err := r.open(); err != nil {
		return err
	}
	for more, err := r.next('}', true); ; more, err = r.next('}', false) {
		if err != nil || !more {
			return err
		}
		k, err := r.key()
		if err != nil {
			return err
		}
		slot := attrSlot(k)
		if slot < 0 || !a.offer(slot, k) {
			if err := r.skip(); err != nil {
				return err
			}
			continue
		}
		var value []byte
		switch r.Peek() {
		case '"':
			s, plain, err := r.str()
			if err != nil {
				return err
			}
			value = r.text(s, plain)
		case 'n':
			if err := r.Literal("null"); err != nil {
				return err
			}
		default:
			start := r.Pos
			if err := r.skip(); err != nil {
				return err
			}
			value = r.Data[start:r.Pos]
		}
		a.set(slot, value)
	}
}

// attrSlot returns which attribute the mirror keeps name is, as
// strings.ToLower(name) says, or -1.
func attrSlot(name []byte) int {
	for _, c := range name {
		if c >= 0x80 {
			return slotOf(strings.ToLower(string(name)))
		}
	}
	var small [16]byte
	if len(name) > len(small) {
		return -1
	}
	low := small[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	return slotOf(string(low))
}

func slotOf(name string) int {
	for i, n := range attrNames {
		if name == n {
			return i
		}
	}
	return -1
}

// mutationField reads one of a mutation's lists.
func (r *reader) mutationField(m *mutation, f int) error {
	switch f {
	case 0:
		return array(r, &m.Texts, func(t *textChange) error {
			return r.object(textFields, func(f int) error {
				if f == 0 {
					return r.int(&t.ID)
				}
				return r.textValue(t)
			})
		})
	case 1:
		return array(r, &m.Attributes, func(a *attrChange) error {
			return r.object(attrChangeFields, func(f int) error {
				if f == 0 {
					return r.int(&a.ID)
				}
				return r.attrs(&a.Attrs)
			})
		})
	case 2:
		return array(r, &m.Removes, func(rm *removal) error {
			return r.object(removalFields, func(f int) error {
				return r.int([]*int{&rm.ParentID, &rm.ID}[f])
			})
		})
	}
	return array(r, &m.Adds, func(a *addition) error {
		return r.object(additionFields, func(f int) error {
			if f == 0 {
				return r.int(&a.ParentID)
			}
			return r.nodePtr(&a.Node)
		})
	})
}

// textValue reads a text mutation's value: null unsets it.
func (r *reader) textValue(t *textChange) error {
	switch r.Peek() {
	case '"':
		t.Set = true
		return r.boundedString(&t.Value)
	case 'n':
		t.Value, t.Set = "", false
		return r.Literal("null")
	}
	return r.mismatch()
}
