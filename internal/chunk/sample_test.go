package chunk

import (
	"fmt"
	"testing"
)

// keptStrings are the members whose string values a dictionary sample
// keeps: the page's structure and looks, which every visitor of a site
// sees alike. Every other string (texts, links, sources, titles, input
// values, attributes that may carry data) is emptied.
var keptStrings = map[string]bool{
	"tagName": true, "class": true, "style": true, "_cssText": true,
	"rel": true, "type": true, "role": true, "lang": true, "dir": true,
}

// sampleEvent returns what of one event a project's dictionary could be
// trained on (BenchmarkChunkOptions): the event with every string value
// emptied but those of keptStrings, member names and numbers kept. A
// dictionary outlives the sessions it was trained from (an erasure leaves
// it), so it must hold nothing a visitor typed, read or was shown alone.
func sampleEvent(dst, event []byte) ([]byte, error) {
	i := space(event, 0)
	dst, i, err := sample(dst, event, i, false)
	if err != nil {
		return nil, err
	}
	if i = space(event, i); i != len(event) {
		return nil, fmt.Errorf("%w: data after the event at byte %d", ErrSyntax, i)
	}
	return dst, nil
}

// sample copies the value at b[i:] to dst, a string emptied unless keep.
func sample(dst, b []byte, i int, keep bool) ([]byte, int, error) {
	if i >= len(b) {
		return nil, 0, fmt.Errorf("%w: missing value", ErrSyntax)
	}
	switch b[i] {
	case '"':
		e, err := str(b, i)
		if err != nil {
			return nil, 0, err
		}
		if keep {
			return append(dst, b[i:e]...), e, nil
		}
		return append(dst, '"', '"'), e, nil
	case '[':
		dst = append(dst, '[')
		i = space(b, i+1)
		if i < len(b) && b[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for {
			var err error
			if dst, i, err = sample(dst, b, i, false); err != nil {
				return nil, 0, err
			}
			i = space(b, i)
			if i >= len(b) {
				return nil, 0, fmt.Errorf("%w: unterminated array", ErrSyntax)
			}
			switch b[i] {
			case ',':
				dst = append(dst, ',')
				i = space(b, i+1)
			case ']':
				return append(dst, ']'), i + 1, nil
			default:
				return nil, 0, fmt.Errorf("%w: unexpected %q at byte %d", ErrSyntax, b[i], i)
			}
		}
	case '{':
		dst = append(dst, '{')
		i = space(b, i+1)
		if i < len(b) && b[i] == '}' {
			return append(dst, '}'), i + 1, nil
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return nil, 0, fmt.Errorf("%w: no member name at byte %d", ErrSyntax, i)
			}
			e, err := str(b, i)
			if err != nil {
				return nil, 0, err
			}
			key := b[i+1 : e-1]
			dst = append(dst, b[i:e]...)
			i = space(b, e)
			if i >= len(b) || b[i] != ':' {
				return nil, 0, fmt.Errorf("%w: no ':' at byte %d", ErrSyntax, i)
			}
			dst = append(dst, ':')
			i = space(b, i+1)
			if dst, i, err = sample(dst, b, i, keptStrings[string(key)]); err != nil {
				return nil, 0, err
			}
			i = space(b, i)
			if i >= len(b) {
				return nil, 0, fmt.Errorf("%w: unterminated object", ErrSyntax)
			}
			switch b[i] {
			case ',':
				dst = append(dst, ',')
				i = space(b, i+1)
			case '}':
				return append(dst, '}'), i + 1, nil
			default:
				return nil, 0, fmt.Errorf("%w: unexpected %q at byte %d", ErrSyntax, b[i], i)
			}
		}
	}
	e, err := value(b, i)
	if err != nil {
		return nil, 0, err
	}
	return append(dst, b[i:e]...), e, nil
}

func TestSampleEvent(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"type":2,"data":{"node":{"type":3,"textContent":"Jane Doe","id":9}},"timestamp":1}`,
			`{"type":2,"data":{"node":{"type":3,"textContent":"","id":9}},"timestamp":1}`},
		{`{"tagName":"a","attributes":{"class":"btn","href":"/u/jane?x=\"1\"","style":"color:red"},"childNodes":[]}`,
			`{"tagName":"a","attributes":{"class":"btn","href":"","style":"color:red"},"childNodes":[]}`},
		{` [ "a" , 1.5 , true , null , { } , [ ] ] `, `["",1.5,true,null,{},[]]`},
	} {
		got, err := sampleEvent(nil, []byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `["x"`, `"x`, `{} {}`} {
		if _, err := sampleEvent(nil, []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
