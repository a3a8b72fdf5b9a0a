package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/playhead/playhead/internal/store"
)

// classify turns SQLite's failures of the storage itself into
// store.ErrUnavailable, with the reason, and a failure of a store being
// closed into store.ErrClosed, so that callers can answer "come back
// later" and say why. Any other error is returned as it is.
func (s *Store) classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrClosed) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		// Codes may be extended (SQLITE_IOERR_WRITE is 778): the low
		// byte is the primary code.
		var reason store.Reason
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			reason = store.DiskFull
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			reason = store.IOError
			// A full disk shows as an I/O error where SQLite does not
			// look at errno (growing the -shm file, fsync).
			if diskFull(s.dir) {
				reason = store.DiskFull
			}
		case sqlite3.SQLITE_READONLY:
			reason = store.ReadOnly
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			reason = store.Corrupt
		}
		if reason != "" {
			return &store.UnavailableError{Reason: reason, Err: err}
		}
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return err
}

// check classifies *err in place; methods defer it on their named error.
func (s *Store) check(err *error) { *err = s.classify(*err) }
