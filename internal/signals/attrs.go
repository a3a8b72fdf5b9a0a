package signals

import (
	"bytes"
	"strings"
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
