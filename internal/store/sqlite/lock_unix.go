//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFileName is the file a server holds locked in its data folder.
const LockFileName = "playhead.lock"

// ErrLocked means another process holds the data folder's lock.
var ErrLocked = errors.New("data folder in use")

// Lock takes the data folder for one server for as long as the process
// lives, or until the returned release is called. The kernel drops a
// flock when its holder dies, however it dies, so a killed server never
// leaves a lock behind. Commands that only touch projects do not take it:
// SQLite lets them write beside a running server.
func Lock(dir string) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			abs, _ := filepath.Abs(dir)
			return nil, fmt.Errorf("%w: another playhead server is running on the data folder %s (it holds %s); stop it, or give this one another --data", ErrLocked, abs, LockFileName)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The holder's pid, for whoever wonders who holds it.
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f.Close, nil
}
