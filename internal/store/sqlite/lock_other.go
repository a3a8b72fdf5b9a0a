//go:build !unix

package sqlite

import "errors"

// LockFileName is the file a server holds locked in its data folder.
const LockFileName = "playhead.lock"

// ErrLocked means another process holds the data folder's lock.
var ErrLocked = errors.New("data folder in use")

// Lock does nothing here: flock is Unix's.
func Lock(dir string) (release func() error, err error) { return func() error { return nil }, nil }
