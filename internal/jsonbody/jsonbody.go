// Package jsonbody reads the small JSON bodies of requests that change
// something (a tag, a note, a share link) strictly: one object, of the
// fields the caller names, and nothing after it. A lenient reader would
// act on the first object of `{…}{…}` or on a misspelt field's default.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrTooLarge is a body over the caller's limit.
	ErrTooLarge = errors.New("body too large")
	// ErrTrailing is a body with more than JSON's white space after its object.
	ErrTrailing = errors.New("more after the object")
	// ErrNotObject is a body that is not a JSON object (null, a list, …).
	ErrNotObject = errors.New("not an object")
)

// Decode reads one JSON object of at most limit bytes from r into v, a
// pointer to a struct. Fields v does not have, and anything but white
// space after the object, are errors.
func Decode(r io.Reader, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("read the body: %w", err)
	}
	if int64(len(body)) > limit {
		return ErrTooLarge
	}
	// null would leave v as it was: a request that names nothing.
	if !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		return ErrNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// JSON's own white space only: json.Unmarshal refuses the rest.
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return ErrTrailing
	}
	return nil
}
