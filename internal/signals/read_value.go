package signals

import (
	"strconv"
	"unsafe"
)

// mismatch skips a value of the wrong kind for where it is, marking the
// read bad.
func (r *reader) mismatch() error {
	r.bad = true
	return r.skip()
}

// expect tells whether the next value is of the kind that open begins
// (a string, an array, an object), for the caller to read. Null is read
// and leaves the destination as it is; a value of another kind is
// skipped and does not fit, as encoding/json's UnmarshalTypeError.
func (r *reader) expect(open byte) (bool, error) {
	switch r.Peek() {
	case open:
		return true, nil
	case 'n':
		return false, r.Literal("null")
	}
	return false, r.mismatch()
}

// numberText reads a number's text; ok is false for null or a value of
// another kind (see expect).
func (r *reader) numberText() (text []byte, ok bool, err error) {
	switch c := r.Peek(); {
	case c == 'n':
		return nil, false, r.Literal("null")
	case c != '-' && (c < '0' || c > '9'):
		return nil, false, r.mismatch()
	}
	num, err := r.Number()
	return num, err == nil, err
}

// int reads a number into an int, as encoding/json does: null leaves it
// as it is, and a fraction, an exponent or too many digits do not fit.
func (r *reader) int(p *int) error {
	num, ok, err := r.numberText()
	if !ok {
		return err
	}
	if n, ok := parseInt(num); ok {
		*p = n
	} else {
		r.bad = true
	}
	return nil
}

// parseInt is strconv.ParseInt(s, 10, 64) on a JSON number.
func parseInt(s []byte) (int, bool) {
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch { // 19 digits cannot wrap a uint64
	case neg && n <= 1<<63:
		return int(-n), true
	case !neg && n < 1<<63:
		return int(n), true
	}
	return 0, false
}

// float reads a number into a float64; null leaves it as it is.
func (r *reader) float(p *float64) error {
	num, ok, err := r.numberText()
	if !ok {
		return err
	}
	if f, ok := parseFloat(num); ok {
		*p = f
	} else {
		r.bad = true
	}
	return nil
}

// parseFloat is strconv.ParseFloat(s, 64), without its cost for the
// integers that most of rrweb's numbers are.
func parseFloat(s []byte) (float64, bool) {
	if len(s) > 0 && len(s) <= 15 && s[0] != '-' {
		var n uint64
		i := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			n = n*10 + uint64(s[i]-'0')
		}
		if i == len(s) {
			return float64(n), true // exact below 2^53
		}
	}
	// ParseFloat keeps no reference to its argument.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	return f, err == nil
}

// bool reads true or false; null leaves it as it is.
func (r *reader) bool(p *bool) error {
	var word string
	switch r.Peek() {
	case 'n':
		return r.Literal("null")
	case 't':
		word = "true"
	case 'f':
		word = "false"
	default:
		return r.mismatch()
	}
	if err := r.Literal(word); err != nil {
		return err
	}
	*p = word == "true"
	return nil
}

// stringText reads a string's text, valid until the next read; ok is
// false for null or a value of another kind (see expect).
func (r *reader) stringText() (text []byte, ok bool, err error) {
	if ok, err := r.expect('"'); !ok {
		return nil, false, err
	}
	s, plain, err := r.str()
	if err != nil {
		return nil, false, err
	}
	return r.text(s, plain), true, nil
}

// string reads a string; null leaves it as it is.
func (r *reader) string(p *string) error {
	t, ok, err := r.stringText()
	if ok {
		*p = string(t)
	}
	return err
}

// boundedString reads a string as string does, keeping only what bound
// keeps of it.
func (r *reader) boundedString(p *string) error {
	t, ok, err := r.stringText()
	if ok {
		*p = string(bound(t))
	}
	return err
}

// array reads an array into a slice as encoding/json does: elements that
// the slice's array still holds from before are decoded into, not
// replaced; null sets it to nil.
func array[T any](r *reader, s *[]T, elem func(*T) error) error {
	switch r.Peek() {
	case '[':
	case 'n':
		*s = nil
		return r.Literal("null")
	default:
		return r.mismatch()
	}
	if err := r.open(); err != nil {
		return err
	}
	v := *s
	i := 0
	for more, err := r.next(']', true); ; more, err = r.next(']', false) {
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if i >= cap(v) {
			v = append(v[:cap(v)], *new(T))[:i]
		}
		if i >= len(v) {
			v = v[:i+1]
		}
		if err := elem(&v[i]); err != nil {
			return err
		}
		i++
	}
	if i < len(v) {
		v = v[:i]
	}
	if i == 0 {
		v = []T{}
	}
	*s = v
	return nil
}

// anyValue reads any value as encoding/json reads it into an any.
func (r *reader) anyValue() (any, error) {
	switch c := r.Peek(); {
	case c == '{':
		m := map[string]any{}
		return m, r.anyMap(m)
	case c == '[':
		if err := r.open(); err != nil {
			return nil, err
		}
		a := []any{}
		for more, err := r.next(']', true); ; more, err = r.next(']', false) {
			if err != nil || !more {
				return a, err
			}
			v, err := r.anyValue()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == '"':
		var s string
		err := r.string(&s)
		return s, err
	case c == '-' || '0' <= c && c <= '9':
		var f float64
		err := r.float(&f)
		return f, err
	case c == 't':
		return true, r.Literal("true")
	case c == 'f':
		return false, r.Literal("false")
	case c == 'n':
		return nil, r.Literal("null")
	}
	return nil, r.Fail("unexpected byte")
}

// anyMap reads the members of the object next into m.
func (r *reader) anyMap(m map[string]any) error {
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
		name := string(k)
		v, err := r.anyValue()
		if err != nil {
			return err
		}
		m[name] = v
	}
}

// object reads the members of an object into fields, calling member with
// the index in names of each member's field (-1 for one that has none);
// member must read the value. Null leaves everything as it is; a value
// that is not an object does not fit.
func (r *reader) object(names []string, member func(field int) error) error {
	if ok, err := r.expect('{'); !ok {
		return err
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
		f := field(k, names)
		if f < 0 {
			err = r.skip()
		} else {
			err = member(f)
		}
		if err != nil {
			return err
		}
	}
}
