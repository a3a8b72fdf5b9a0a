// Package blob names what every store of recordings' blobs shares: keys
// and the errors callers test for. Implementations live in subpackages
// (fs, …); each runs the conformance suite in blobtest. The stages that
// use blobs declare the handful of methods they need.
package blob

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound means no blob has the key.
var ErrNotFound = errors.New("blob not found")

// ErrInvalidKey means a key is not one this package allows.
var ErrInvalidKey = errors.New("invalid blob key")

// CheckKey accepts keys made of segments of [A-Za-z0-9._-] joined by '/',
// none empty, "." or "..": they map to file names and object keys alike
// without escaping, and can never climb out of a folder.
func CheckKey(key string) error {
	if key == "" || len(key) > 1024 {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
		for _, c := range []byte(seg) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("%w: %q", ErrInvalidKey, key)
			}
		}
	}
	return nil
}
